// Time to mask one decoding step for response_format JSON on Qwen's 151k-token vocabulary, in the states that
// cost most: inside a string (every plain token allowed at once, the rest walked), at the start of a value, and
// in a number. The tokenizer comes from a Hugging Face tokenizer.json (-p tokenizer=PATH).
package io.puhui.bench;

import io.puhui.engine.sampling.json.JsonConstraint;
import io.puhui.engine.tokenizer.HfTokenizerImport;
import io.puhui.engine.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
    @Param({"../shared/tokenizers/qwen3/tokenizer.json"})
    public String tokenizer;

    /** The document so far: inside a string, before a value, inside a number. */
    @Param({"{\"name\": \"Li", "{\"a\": [1, ", "{\"n\": 12"})
    public String prefix;

    private JsonConstraint constraint;
    private float[] logits;

    @Setup
    public void setUp() throws Exception {
        Tokenizer t = Tokenizer.fromMetadata(HfTokenizerImport.read(Path.of(tokenizer), null));
        constraint = JsonConstraint.object(t);
        for (int id : t.encode(prefix, false, false)) {
            constraint.accept(id);
        }
        logits = new float[t.vocabSize()];
    }

    @Benchmark
    public float[] maskOneStep() {
        java.util.Arrays.fill(logits, 0f);
        constraint.mask(logits, 1000);
        return logits;
    }
}
