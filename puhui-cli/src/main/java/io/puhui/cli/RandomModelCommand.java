// `puhui random-model`: write a random-weight model in a real model's shape, for tests and benchmarks.
package io.puhui.cli;

import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.model.RandomModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "random-model",
        description = "Write a random-weight GGUF model in the shape of a real one (for tests and benchmarks; "
                + "its output is noise).")
final class RandomModelCommand implements Callable<Integer> {
    @Option(names = "--shape", required = true, paramLabel = "NAME",
            description = "One of: llama-3.2-1b, qwen2.5-0.5b, qwen3-0.6b, llama-25m, llama-3.2-tiny, qwen2.5-tiny, qwen3-tiny.")
    String shape;

    @Option(names = "--type", defaultValue = "Q8_0", paramLabel = "T",
            description = "Matrix type: F32, F16, Q8_0 or Q4_0 (default ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "S", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE.gguf", description = "Where to write.")
    Path output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        RandomModel.Shape s;
        GgmlType t;
        try {
            s = RandomModel.shape(shape);
            t = GgmlType.valueOf(type.toUpperCase(java.util.Locale.ROOT));
            if (!Arrays.asList(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0).contains(t)) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage() != null ? e.getMessage()
                    : "--type must be one of F32, F16, Q8_0, Q4_0, got " + type);
        }
        if (Files.isDirectory(output)) {
            throw new Main.UsageException(output + " is a directory; give a file name");
        }
        RandomModel.write(s, t, seed, output);
        spec.commandLine().getOut().printf("wrote %s (%s, %s, %s)%n", output, s.name(), t,
                InspectCommand.bytes(Files.size(output)));
        return Main.OK;
    }
}
