// Where Puhui keeps its models, database and logs: $PUHUI_HOME, else ~/.puhui.
package io.puhui.cli;

import java.nio.file.Path;

final class PuhuiHome {
    private PuhuiHome() {
    }

    static Path resolve() {
        String env = System.getenv("PUHUI_HOME");
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath();
        }
        return Path.of(System.getProperty("user.home"), ".puhui");
    }
}
