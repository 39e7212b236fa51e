// Locates the shared test data (../shared beside the repository) that tests read models and vectors from.
package io.puhui.engine;

import java.nio.file.Files;
import java.nio.file.Path;

public final class SharedData {
    private SharedData() {
    }

    public static Path root() {
        String prop = System.getProperty("puhui.shared");
        Path p = prop != null ? Path.of(prop) : Path.of("../shared");
        if (!Files.isDirectory(p)) {
            Path up = Path.of("../../shared");
            if (Files.isDirectory(up)) {
                return up.toAbsolutePath().normalize();
            }
            throw new IllegalStateException("shared test data not found at " + p.toAbsolutePath()
                    + " (set -Dpuhui.shared=DIR)");
        }
        return p.toAbsolutePath().normalize();
    }

    public static Path resolve(String relative) {
        return root().resolve(relative);
    }

    public static Path stories260K() {
        return resolve("models/stories260K-f32.gguf");
    }
}
