// The --db option of every command that opens the server database, and opening it.
package io.puhui.cli;

import picocli.CommandLine.Option;

final class DbOption {
    @Option(names = "--db", paramLabel = "JDBC-URL", description = "Database (default: the one in PUHUI_HOME).")
    String url;

    Store open() {
        return Store.open(PuhuiHome.resolve(), url);
    }
}
