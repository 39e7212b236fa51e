// The engine's forward pass against llama.cpp's greedy text and against a plain scalar reference.
package io.puhui.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.puhui.engine.SharedData;
import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.tensor.ThreadTeam;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ModelForwardTest {
    static ThreadTeam team;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        team = new ThreadTeam(2);
    }

    @AfterAll
    static void stop() {
        team.close();
    }

    static Stream<Path> models() throws IOException {
        Stream<Path> golden;
        try (var s = Files.list(SharedData.resolve("models/quant-golden"))) {
            golden = s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList().stream();
        }
        return Stream.concat(Stream.of(SharedData.stories260K()), golden);
    }

    /** Prompt in one batch, then three single-token steps; logits compared at every step. */
    @ParameterizedTest
    @MethodSource("models")
    void logitsMatchScalarReference(Path file) throws IOException {
        assertMatchesReference(file, new int[] {1, 403, 407, 261, 378}, new int[] {300, 17, 42});
    }

    static void assertMatchesReference(Path file, int[] prompt, int[] then) throws IOException {
        try (GgufFile f = GgufFile.open(file)) {
            Model m = Model.of(f);
            ScalarReference ref = new ScalarReference(f, m.config());
            KvCache cache = m.newCache(64);
            int vocab = m.config().vocabSize();
            float[][] logits = new float[prompt.length][];
            logits[prompt.length - 1] = new float[vocab];
            int[] pos = new int[prompt.length];
            KvCache[] caches = new KvCache[prompt.length];
            for (int i = 0; i < prompt.length; i++) {
                pos[i] = i;
                caches[i] = cache;
            }
            m.forward(team, prompt, pos, caches, logits);
            double[] expected = null;
            for (int t : prompt) {
                expected = ref.step(t, 0);
            }
            assertClose(file + " after prompt", logits[prompt.length - 1], expected);
            int p = prompt.length;
            for (int t : then) {
                float[] lg = new float[vocab];
                m.forward(team, new int[] {t}, new int[] {p++}, new KvCache[] {cache}, new float[][] {lg});
                assertClose(file + " after token " + t, lg, ref.step(t, 0));
            }
            assertThat(cache.length()).isEqualTo(prompt.length + then.length);
        }
    }

    static void assertClose(String what, float[] actual, double[] expected) {
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        }
        assertThat(worst).as("%s: largest logit difference (logits up to %.3f)", what, scale)
                .isLessThan(1e-4 * Math.max(1, scale));
    }

    @Test
    void randomModelsOfEveryTinyShapeMatchReference() throws IOException {
        for (RandomModel.Shape shape : new RandomModel.Shape[] {RandomModel.LLAMA_3_2_TINY, RandomModel.QWEN2_5_TINY,
            RandomModel.QWEN3_TINY}) {
            for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.Q8_0, GgmlType.Q4_0}) {
                Path p = tmp.resolve(shape.name() + "-" + type + ".gguf");
                RandomModel.write(shape, type, 11, p);
                assertMatchesReference(p, new int[] {1, 2, 3, 4}, new int[] {100, 200});
            }
        }
    }

    @Test
    void twoSequencesInOneBatchGiveTheSameLogitsAsSeparately() throws IOException {
        try (Model m = Model.load(SharedData.stories260K())) {
            int vocab = m.config().vocabSize();
            KvCache a = m.newCache(32);
            KvCache b = m.newCache(32);
            m.forward(team, new int[] {1, 403, 1, 9}, new int[] {0, 1, 0, 1}, new KvCache[] {a, a, b, b},
                    new float[4][]);
            float[] la = new float[vocab];
            float[] lb = new float[vocab];
            m.forward(team, new int[] {407, 10}, new int[] {2, 2}, new KvCache[] {a, b}, new float[][] {la, lb});
            KvCache solo = m.newCache(32);
            float[] ls = new float[vocab];
            m.forward(team, new int[] {1, 9, 10}, new int[] {0, 1, 2}, new KvCache[] {solo, solo, solo},
                    new float[][] {null, null, ls});
            for (int i = 0; i < vocab; i++) {
                assertThat(lb[i]).isCloseTo(ls[i], org.assertj.core.data.Offset.offset(1e-4f));
            }
            assertThat(la).isNotEqualTo(lb);
        }
    }

    @Test
    void fullContextIsAClearError() throws IOException {
        try (Model m = Model.load(SharedData.stories260K())) {
            KvCache c = m.newCache(2);
            assertThatThrownBy(() -> m.forward(team, new int[] {1, 2, 3}, new int[] {0, 1, 2},
                    new KvCache[] {c, c, c}, new float[3][]))
                    .isInstanceOf(ContextFullException.class).hasMessageContaining("context is full");
        }
    }

    @Test
    void unsupportedArchitectureIsNamed() throws IOException {
        Path p = tmp.resolve("gpt.gguf");
        RandomModel.write(RandomModel.LLAMA_3_2_TINY, GgmlType.F32, 1, p);
        byte[] bytes = Files.readAllBytes(p);
        String s = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1)
                .replaceFirst("\u0005\u0000\u0000\u0000\u0000\u0000\u0000\u0000llama", "\u0005\u0000\u0000\u0000\u0000\u0000\u0000\u0000mamba");
        Files.write(p, s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> Model.load(p)).isInstanceOf(UnsupportedModelException.class)
                .hasMessageContaining("unsupported architecture 'mamba'").hasMessageContaining("qwen2");
    }
}
