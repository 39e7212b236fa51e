// The --threads option of the batch commands (compress, imatrix, eval): all cores unless told otherwise.
package io.puhui.cli;

import picocli.CommandLine.Option;

final class ThreadsOption {
    @Option(names = "--threads", paramLabel = "K", description = "Threads (default: all cores).")
    Integer threads;

    /** The thread count to use; a usage error when it is below 1. */
    int count() {
        int k = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (k < 1) {
            throw new Main.UsageException("--threads must be at least 1");
        }
        return k;
    }
}
