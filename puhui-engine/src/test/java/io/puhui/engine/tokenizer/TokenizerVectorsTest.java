// llama.cpp's tokenizer test vectors: every input of every vocabulary must give exactly the expected ids.
package io.puhui.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import io.puhui.engine.SharedData;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.gguf.Metadata;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TokenizerVectorsTest {
    static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    record Case(String input, int[] expected) {
    }

    static List<Case> cases(Path inp) throws IOException {
        String text = Files.readString(inp, StandardCharsets.UTF_8);
        List<String> inputs = new ArrayList<>(Arrays.asList(text.split(java.util.regex.Pattern.quote(SEPARATOR), -1)));
        List<String> outputs = Files.readAllLines(Path.of(inp.toString().replace(".inp", ".out")), StandardCharsets.UTF_8);
        // the input file ends with a separator, which leaves one empty trailing entry
        if (inputs.size() == outputs.size() + 1 && inputs.getLast().isEmpty()) {
            inputs.removeLast();
        }
        assertThat(inputs).as("inputs vs expected lines in " + inp.getFileName()).hasSameSizeAs(outputs);
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            String line = outputs.get(i).strip();
            int[] ids = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
            cases.add(new Case(inputs.get(i), ids));
        }
        return cases;
    }

    static Stream<String> vocabularies() throws IOException {
        try (var s = Files.list(SharedData.resolve("tokenizers"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".gguf"))
                    .map(n -> n.substring(0, n.length() - 5)).sorted().toList().stream();
        }
    }

    static void assertAllPass(String name, Tokenizer tok, List<Case> cases) {
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            int[] got = tok.encode(c.input(), false, false);
            if (!Arrays.equals(got, c.expected())) {
                failures.add("'" + c.input().replace("\n", "\\n").replace("\t", "\\t") + "': expected "
                        + Arrays.toString(c.expected()) + " got " + Arrays.toString(got));
            }
        }
        assertThat(failures).as("%s: %d of %d vectors fail", name, failures.size(), cases.size()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("vocabularies")
    void llamaCppVectorsPass(String name) throws IOException {
        Path gguf = SharedData.resolve("tokenizers/" + name + ".gguf");
        try (GgufFile f = GgufFile.open(gguf)) {
            assertAllPass(name, Tokenizer.fromMetadata(f.metadata()), cases(Path.of(gguf + ".inp")));
        }
    }

    @Test
    void qwen2VectorsPassThroughTheHuggingFaceImport() throws IOException {
        Metadata m = HfTokenizerImport.read(SharedData.resolve("tokenizers/qwen3/tokenizer.json"), null);
        assertAllPass("qwen2 (imported)", Tokenizer.fromMetadata(m),
                cases(SharedData.resolve("tokenizers/ggml-vocab-qwen2.gguf.inp")));
    }
}
