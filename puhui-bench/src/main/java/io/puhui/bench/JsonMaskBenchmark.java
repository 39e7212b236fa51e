// Time of one masking step of JSON structured output over the Qwen vocabulary (151,643 tokens plus specials), in
// the states a generation passes through. Needs a Qwen tokenizer.json: -p tokenizerJson=PATH.
package io.puhui.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.puhui.engine.sampling.json.JsonConstraint;
import io.puhui.engine.tokenizer.HfTokenizerImport;
import io.puhui.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class JsonMaskBenchmark {
    private static final String SCHEMA = """
            {"type": "object", "properties": {
               "name": {"type": "string"}, "age": {"type": "integer"},
               "role": {"enum": ["admin", "user", "guest"]},
               "tags": {"type": "array", "items": {"type": "string", "maxLength": 12}}},
             "required": ["name", "age", "role"]}""";

    /** Which constraint, then the output so far; a "|" and a number set the tokens left (default plenty). */
    @Param({"object:", "object:{", "object:{\"answer", "object:{\"answer\":", "object:{\"answer\":\"The cap",
            "object:{\"answer\":\"\u00e9\u4f60", "object:{\"a\":12", "object:{\"a\":[1,", "object:{\"a\":\"xyz|5",
            "schema:{", "schema:{\"name\":\"Ann", "schema:{\"name\":\"Ann\",\"age\":",
            "schema:{\"name\":\"A\",\"age\":1,\"role\":\"",
            "schema:{\"name\":\"A\",\"age\":1,\"role\":\"user\",\"tags\":[\"",
            "schema:{\"name\":\"A\",\"age\":1,\"role\":\"user\",\"tags\":[\"abcdefghij", "schema:{\"name\":\"Ann|9"})
    public String state;

    @Param({""})
    public String tokenizerJson;

    private JsonConstraint constraint;
    private float[] logits;
    private int remaining;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (tokenizerJson.isBlank()) {
            throw new IllegalStateException("give a Qwen tokenizer.json with -p tokenizerJson=PATH");
        }
        Tokenizer t = Tokenizer.fromMetadata(HfTokenizerImport.read(Path.of(tokenizerJson), null));
        String kind = state.substring(0, state.indexOf(':'));
        String rest = state.substring(state.indexOf(':') + 1);
        remaining = 1000;
        if (rest.contains("|")) {
            remaining = Integer.parseInt(rest.substring(rest.indexOf('|') + 1));
            rest = rest.substring(0, rest.indexOf('|'));
        }
        constraint = kind.equals("object") ? JsonConstraint.object(t)
                : JsonConstraint.schema(t, new ObjectMapper().readTree(SCHEMA));
        int[] single = new int[256];
        for (int id = t.vocabSize() - 1; id >= 0; id--) {
            byte[] b = t.tokenBytes(id);
            if (b.length == 1) {
                single[b[0] & 0xFF] = id;
            }
        }
        byte[] prefix = rest.getBytes(StandardCharsets.UTF_8);
        // the last character of the "é你" state is fed only in part: a token ending inside a character
        int n = rest.endsWith("\u4f60") ? prefix.length - 1 : prefix.length;
        for (int i = 0; i < n; i++) {
            constraint.accept(single[prefix[i] & 0xFF]);
        }
        logits = new float[t.vocabSize()];
    }

    @Benchmark
    public float[] mask() {
        constraint.mask(logits, remaining);
        return logits;
    }
}
