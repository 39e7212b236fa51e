// The packaged `puhui` jar and the launcher as a user runs them: real processes, exit codes, stdout and stderr.
package io.puhui.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.puhui.engine.SharedData;
import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.model.RandomModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliProcessIT {
    static final Path ROOT = Path.of(System.getProperty("puhui.root", "..")).toAbsolutePath().normalize();
    static final Path JAR = ROOT.resolve("puhui-cli/target/puhui.jar");
    static final String STORIES_48 = ", there was a little girl named Lily. She loved to play outside in the park. "
            + "One day, she saw a big, red ball. She wanted to play with it,";

    @TempDir
    Path tmp;

    record Result(int exit, String out, String err) {
    }

    static Result run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        Path out = Files.createTempFile("out", ".txt");
        Path err = Files.createTempFile("err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("process hung: " + command);
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    static Result puhui(String... args) throws IOException, InterruptedException {
        return run(javaCommand(args), Map.of());
    }

    /** The command line that runs the packaged jar with {@code args}. */
    static List<String> javaCommand(String... args) {
        List<String> cmd = jvm();
        cmd.addAll(List.of("-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * Java and the launcher's options, class-data archive included: the suite starts a few hundred JVMs, each
     * faster from archived classes.
     */
    static List<String> jvm() {
        return new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-XX:SharedArchiveFile=" + JAR.resolveSibling("puhui-it.jsa"), "-XX:+AutoCreateSharedArchive",
                "-Xlog:cds=off", "-Xlog:cds+dynamic=off"));
    }

    /** Errors are one line on stderr, no stack trace; the incubator notice from the JVM is not ours. */
    static List<String> ourErrorLines(Result r) {
        return r.err().lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
    }

    @Test
    void versionAndHelp() throws Exception {
        Result v = puhui("version");
        assertThat(v.exit()).isZero();
        assertThat(v.out()).startsWith("puhui 0.").contains("java 25");
        Result h = puhui("--help");
        assertThat(h.exit()).isZero();
        assertThat(h.out()).contains("generate", "inspect", "version", "compress", "eval", "imatrix");
        // every subcommand takes --help, as its usage errors say
        for (String[] cmd : new String[][] {{"serve", "--help"}, {"worker", "-h"}, {"compress", "--help"},
            {"key", "create", "--help"}}) {
            Result r = puhui(cmd);
            assertThat(r.exit()).as(String.join(" ", cmd) + ": " + r.err()).isZero();
            assertThat(r.out()).startsWith("Usage: puhui " + cmd[0]);
        }
        assertThat(puhui("serve", "--help").out()).contains("--slots", "--queue", "--ctx", "--threads", "--max-body");
    }

    @Test
    void greedyGenerationMatchesLlamaCpp() throws Exception {
        Result r = puhui("generate", "--model", SharedData.stories260K().toString(), "--prompt", "Once upon a time",
                "-n", "48", "--temp", "0", "--threads", "2");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("Once upon a time" + STORIES_48 + "\n");
        assertThat(r.err()).containsPattern("prompt: 5 tokens, [0-9.]+ tokens/s \\| generation: 48 tokens, [0-9.]+ tokens/s");
    }

    @Test
    void inspectPrintsMetadataAndTensors() throws Exception {
        Result r = puhui("inspect", SharedData.stories260K().toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("general.architecture", "\"llama\"", "token_embd.weight", "F32", "[64, 512]",
                "GGUF v3", "48 tensors");
    }

    void assertCleanFailure(Result r, int exit, String... fragments) {
        assertThat(r.exit()).as(r.err()).isEqualTo(exit);
        List<String> lines = ourErrorLines(r);
        assertThat(lines).as("stderr: %s", r.err()).isNotEmpty();
        assertThat(lines.get(0)).startsWith("puhui: ").contains(fragments);
        assertThat(r.err()).doesNotContain("Exception", "\tat ");
    }

    @Test
    void badInputGivesOneClearLineAndANonZeroExit() throws Exception {
        byte[] stories = Files.readAllBytes(SharedData.stories260K());

        Path truncated = tmp.resolve("truncated.gguf");
        Files.write(truncated, java.util.Arrays.copyOf(stories, stories.length / 2));
        assertCleanFailure(puhui("generate", "-m", truncated.toString(), "-p", "hi"), 1, "truncated");

        Path notGguf = tmp.resolve("notes.gguf");
        Files.writeString(notGguf, "just some notes");
        assertCleanFailure(puhui("inspect", notGguf.toString()), 1, "not a GGUF file");

        Path unknownType = tmp.resolve("iq.gguf");
        byte[] copy = stories.clone();
        // The first tensor's type id sits after its name, dimension count and dimensions.
        int at = indexOf(copy, "token_embd.weight".getBytes(StandardCharsets.US_ASCII)) + 17 + 4 + 16;
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(at, 23);
        Files.write(unknownType, copy);
        assertCleanFailure(puhui("generate", "-m", unknownType.toString(), "-p", "hi"), 1, "IQ4_XS");

        Path arch = tmp.resolve("arch.gguf");
        byte[] a = stories.clone();
        int archAt = indexOf(a, "llama".getBytes(StandardCharsets.US_ASCII));
        System.arraycopy("mamba".getBytes(StandardCharsets.US_ASCII), 0, a, archAt, 5);
        Files.write(arch, a);
        assertCleanFailure(puhui("generate", "-m", arch.toString(), "-p", "hi"), 1, "unsupported architecture 'mamba'");

        assertCleanFailure(puhui("generate", "-m", SharedData.stories260K().toString(), "-p",
                "Once upon a time there was a very long prompt", "--ctx", "8"), 1, "context is full");

        assertCleanFailure(puhui("generate", "-m", tmp.resolve("missing.gguf").toString(), "-p", "x"), 1,
                "no such file");
        assertCleanFailure(puhui("generate", "--model"), 2, "Missing required parameter");
        assertCleanFailure(puhui("generate", "-m", "x.gguf", "-p", "x", "--bogus"), 2, "--bogus");
        assertCleanFailure(puhui("generate", "-m", SharedData.stories260K().toString(), "-p", "x", "--top-p", "7"),
                2, "top_p");
    }

    @Test
    void debugFlagShowsTheStackTrace() throws Exception {
        Path notGguf = tmp.resolve("notes.gguf");
        Files.writeString(notGguf, "just some notes");
        Result r = puhui("inspect", "--debug", notGguf.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("GgufFormatException", "\tat ");
    }

    @Test
    void randomModelOfQwenShapeGenerates() throws Exception {
        Path model = tmp.resolve("qwen-tiny.gguf");
        RandomModel.write(RandomModel.QWEN2_5_TINY, GgmlType.Q8_0, 3, model);
        Result r = puhui("generate", "-m", model.toString(), "-p", "你好", "-n", "8", "--seed", "1", "--ignore-eos");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("generation: 8 tokens");
        assertThat(r.out()).startsWith("你好");
    }

    @Test
    void launcherFindsJdk25ItselfOrSaysWhatToInstall() throws Exception {
        Path launcher = ROOT.resolve("puhui");
        // PATH's java is whatever the machine has (17 here); JAVA_HOME is unset: the launcher must still run.
        Result ok = run(List.of("env", "-u", "JAVA_HOME", launcher.toString(), "version"), Map.of());
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("java 25");
        Result none = run(List.of("env", "-u", "JAVA_HOME", "PUHUI_JDK_DIRS=" + tmp, "PATH=/nonexistent:/usr/bin:/bin",
                launcher.toString(), "version"), Map.of());
        if (!Files.exists(Path.of("/usr/bin/javac")) || !new String(new ProcessBuilder("/usr/bin/javac", "-version")
                .redirectErrorStream(true).start().getInputStream().readAllBytes()).contains(" 25")) {
            assertThat(none.exit()).isEqualTo(1);
            assertThat(none.err()).contains("no JDK 25 found", "Install a JDK 25");
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
