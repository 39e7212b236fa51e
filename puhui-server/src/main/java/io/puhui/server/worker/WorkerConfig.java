// How a worker serves its one model: where it listens, how many sequences decode at once, how many may wait.
package io.puhui.server.worker;

import java.nio.file.Path;

public record WorkerConfig(
        Path modelPath,
        String modelName,
        String host,
        int port,
        int threads,
        int slots,
        int queueLimit,
        int contextLength,
        long maxBodyBytes,
        long maxQueueWaitMillis) {

    public static final int DEFAULT_SLOTS = 8;
    public static final int DEFAULT_QUEUE = 128;
    public static final int DEFAULT_CONTEXT = 4096;
    public static final long DEFAULT_MAX_BODY = 4L << 20;

    public WorkerConfig {
        if (slots < 1 || slots > 256) {
            throw new IllegalArgumentException("slots must be between 1 and 256, got " + slots);
        }
        if (queueLimit < 0) {
            throw new IllegalArgumentException("the queue limit must not be negative, got " + queueLimit);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
    }
}
