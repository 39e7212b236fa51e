// The API name of a model given as a file: its file name without .gguf, as users see it in /v1/models.
package io.puhui.cli;

import java.nio.file.Path;

final class ServeNames {
    private ServeNames() {
    }

    static String fromFile(Path file) {
        String n = file.getFileName().toString();
        return n.toLowerCase(java.util.Locale.ROOT).endsWith(".gguf") ? n.substring(0, n.length() - 5) : n;
    }
}
