// The options of a model's decoding loop, shared by `serve` (for every worker it starts) and `worker`.
package io.puhui.cli;

import io.puhui.server.worker.WorkerConfig;
import picocli.CommandLine.Option;

final class DecodingOptions {
    @Option(names = "--slots", defaultValue = "" + WorkerConfig.DEFAULT_SLOTS, paramLabel = "N",
            description = "Sequences each model decodes together (default ${DEFAULT-VALUE}).")
    int slots;

    @Option(names = "--queue", defaultValue = "" + WorkerConfig.DEFAULT_QUEUE, paramLabel = "N",
            description = "Requests that may wait for a slot, per model, before 429 (default ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = {"-c", "--ctx"}, defaultValue = "" + WorkerConfig.DEFAULT_CONTEXT, paramLabel = "N",
            description = "Context length per sequence, capped at the model's (default ${DEFAULT-VALUE}).")
    int contextLength;

    @Option(names = {"-t", "--threads"}, paramLabel = "K", description = "Compute threads per model (default: all cores).")
    Integer threads;

    @Option(names = "--max-body", defaultValue = "" + WorkerConfig.DEFAULT_MAX_BODY, paramLabel = "BYTES",
            description = "Largest request body; larger ones get 413 (default ${DEFAULT-VALUE}).")
    long maxBody;

    int threadsOrAllCores() {
        return threads != null ? threads : Runtime.getRuntime().availableProcessors();
    }
}
