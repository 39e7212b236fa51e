// `puhui imatrix --model F.gguf --text FILE -o M.imatrix`: activation statistics for importance-weighted
// compression, in llama.cpp's GGUF imatrix layout.
package io.puhui.cli;

import io.puhui.engine.model.Model;
import io.puhui.engine.quant.ImportanceCollector;
import io.puhui.engine.quant.ImportanceMatrix;
import io.puhui.engine.tensor.ThreadTeam;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "imatrix", description = {
    "Collect an importance matrix: per weight matrix, the mean square of each input column's activation over",
    "a calibration text. `puhui compress --imatrix` uses it to spend precision where activations are large."})
final class ImatrixCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "F.gguf", description = "The full-precision model.")
    Path model;

    @Option(names = "--text", required = true, paramLabel = "FILE", description = "UTF-8 calibration text.")
    Path text;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "M.imatrix", description = "Where to write.")
    Path output;

    @Option(names = "--ctx", defaultValue = "512", paramLabel = "N", description = "Tokens per chunk (default ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = "--process-output", description = "Also collect statistics for the output matrix.")
    boolean processOutput;

    @Mixin
    ThreadsOption threads;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        int k = threads.count();
        Main.existingFile(model, "model file");
        if (Files.isDirectory(output)) {
            throw new Main.UsageException(output + " is a directory; give a file name");
        }
        ImportanceMatrix m;
        try (Model mdl = Model.load(model); ThreadTeam team = new ThreadTeam(k)) {
            TextTokens t = TextTokens.read(text, mdl);
            try {
                m = ImportanceCollector.collect(mdl, t.tokens(), ctx, t.bos(), processOutput,
                        text.getFileName().toString(), team, (done, total) -> {
                            System.err.printf("\rchunk %d/%d", done, total);
                            if (done == total) {
                                System.err.println();
                            }
                        });
            } catch (IllegalArgumentException e) {
                throw new Main.UsageException(e.getMessage());
            }
        }
        m.write(output);
        spec.commandLine().getOut().printf("wrote %s: %d matrices, %d chunks of %d tokens%n", output,
                m.entries().size(), m.chunkCount(), m.chunkSize());
        return Main.OK;
    }
}
