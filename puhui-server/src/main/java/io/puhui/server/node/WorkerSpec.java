// What to run in a worker process: which model file under which name, with how many slots and how much context.
package io.puhui.server.node;

import java.nio.file.Path;

public record WorkerSpec(String name, Path path, int slots, int queue, int contextLength, int threads, long maxBody) {
}
