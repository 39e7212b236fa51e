// What the content-safety checks cost per request and per streamed chunk: the input check of a 1 KB prompt
// (Chinese and English, no hit, which is the common case and scans the most), and the output check of an answer
// fed as a stream in chunks of a few characters, as a worker sends them. Reported per KB of text.
package io.puhui.bench;

import io.puhui.server.safety.Hit;
import io.puhui.server.safety.SafetyEngine;
import java.util.List;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SafetyBenchmark {
    /** Characters per streamed chunk: a token or two of Chinese, a word of English. */
    @Param({"4"})
    public int chunk;

    private SafetyEngine engine;
    private String kb;
    private String[] chunks;

    @Setup(Level.Trial)
    public void load() {
        engine = new SafetyEngine(null, 0);
        String zh = "请帮我写一份关于城市绿化的调研报告，包括现状、问题和建议，语言要正式，适合提交给街道办事处。";
        String en = "Please summarise the main points of the article on urban green spaces and suggest three improvements. ";
        StringBuilder sb = new StringBuilder();
        while (sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 1024) {
            sb.append(zh).append(en);
        }
        kb = sb.toString();
        while (kb.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 1024) {
            kb = kb.substring(0, kb.length() - 1);
        }
        int n = (kb.length() + chunk - 1) / chunk;
        chunks = new String[n];
        for (int i = 0; i < n; i++) {
            chunks[i] = kb.substring(i * chunk, Math.min(kb.length(), (i + 1) * chunk));
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        engine.close();
    }

    /** The input check of a 1 KB prompt. */
    @Benchmark
    public List<Hit> inputCheckPerKb() {
        return engine.check(kb, SafetyEngine.Stage.INPUT, SafetyEngine.Rules.DEFAULT);
    }

    /** The output check of a 1 KB answer arriving in small chunks (divide by the chunk count for one chunk). */
    @Benchmark
    public int outputCheckPerKbStreamed() {
        SafetyEngine.Scanner s = engine.scanner(SafetyEngine.Stage.OUTPUT, SafetyEngine.Rules.DEFAULT);
        int hits = 0;
        for (String c : chunks) {
            hits += s.feed(c).size();
        }
        return hits;
    }
}
