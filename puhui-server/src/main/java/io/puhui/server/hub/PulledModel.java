// The result of a pull: a verified file in the models directory and where it came from, for the caller to record.
package io.puhui.server.hub;

import java.nio.file.Path;

/**
 * @param name   the name the user asked for, canonical: {@code qwen2.5-0.5b-instruct:q4_k_m} or {@code hf://...}
 * @param source the file it came from, {@code ms://OWNER/REPO/file} or {@code hf://OWNER/REPO/file}
 */
public record PulledModel(String name, Path path, long sizeBytes, String sha256, String source) {
}
