// `puhui models`, `puhui rm` and `puhui import`: the local model store.
package io.puhui.cli;

import io.puhui.engine.gguf.GgufFile;
import io.puhui.server.store.ModelRecords;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

final class ModelsCommand {
    private ModelsCommand() {
    }

    @Command(name = "models", description = "List the models in the local store, with the parent, method and "
            + "measured fidelity of compressed variants; with --pool, each logical model of the pool and where its "
            + "variants run.")
    static final class ListModels implements Callable<Integer> {
        @Mixin
        DbOption db;

        @Option(names = "--pool", description = "Ask the control plane (--server) for the pool's models and variants "
                + "instead of listing the local store.")
        boolean pool;

        @Mixin
        NodesCommand.ServerOption server;

        @Option(names = "--variants-of", paramLabel = "NAME|SHA256",
                description = "Only the compressed variants of this model (by store name or sha256).")
        String variantsOf;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (pool) {
                return pool();
            }
            try (Store store = db.open()) {
                PrintWriter out = spec.commandLine().getOut();
                java.util.List<ModelRecords.ModelRecord> list = store.db.models().list();
                if (variantsOf != null) {
                    String parent = list.stream().filter(m -> m.name().equals(variantsOf) && m.sha256() != null)
                            .map(ModelRecords.ModelRecord::sha256).findFirst().orElse(variantsOf);
                    list = store.db.models().variantsOf(parent);
                }
                out.printf("%-36s %10s  %-12s %-12s %-10s %9s %6s  %s%n", "NAME", "SIZE", "SHA256", "PARENT",
                        "METHOD", "KL", "TOP-1", "SOURCE");
                for (ModelRecords.ModelRecord m : list) {
                    ModelRecords.Lineage l = m.lineage();
                    out.printf(java.util.Locale.ROOT, "%-36s %10s  %-12s %-12s %-10s %9s %6s  %s%n", m.name(),
                            size(m.sizeBytes()), m.sha256() == null ? "-" : m.sha256().substring(0, 12),
                            l == null ? "-" : l.parentSha256().substring(0, 12),
                            l == null || l.method() == null ? "-" : l.method(),
                            l == null || Double.isNaN(l.klMean()) ? "-" : String.format(java.util.Locale.ROOT,
                                    "%.5f", l.klMean()),
                            l == null || Double.isNaN(l.top1()) ? "-" : String.format(java.util.Locale.ROOT,
                                    "%.1f%%", 100 * l.top1()),
                            m.source());
                }
                out.flush();
            }
            return Main.OK;
        }

        private int pool() throws Exception {
            com.fasterxml.jackson.databind.JsonNode families = server.call("GET", "/api/models");
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-24s %-28s %-6s %-9s %-28s %-8s %-7s %-7s %s%n", "MODEL", "VARIANT", "TIER", "KIND", "WHERE",
                    "FORMAT", "QUALITY", "LOADED", "TOK/S");
            for (com.fasterxml.jackson.databind.JsonNode f : families) {
                for (com.fasterxml.jackson.databind.JsonNode v : f.path("variants")) {
                    String where = v.path("where").asText() + (v.path("state").asText("READY").equals("READY") ? ""
                            : " (" + v.path("state").asText().toLowerCase(java.util.Locale.ROOT) + ")");
                    out.printf(java.util.Locale.ROOT, "%-24s %-28s %-6s %-9s %-28s %-8s %-7s %-7s %s%n",
                            f.path("model").asText(), v.path("variant").asText(), v.path("tier").asText(),
                            v.path("kind").asText(), where, v.path("format").asText("-"),
                            fmt(v.path("quality").asDouble(-1), "%.3f"),
                            v.has("loaded") ? (v.path("loaded").asBoolean() ? "yes" : "no") : "-",
                            fmt(v.path("decode_tps").asDouble(-1), "%.0f"));
                }
            }
            if (families.isEmpty()) {
                out.println("(no models in the pool yet)");
            }
            out.flush();
            return Main.OK;
        }
    }

    private static String fmt(double v, String pattern) {
        return v < 0 ? "-" : String.format(java.util.Locale.ROOT, pattern, v);
    }

    @Command(name = "rm", description = "Remove a model from the store (and its file, if the store downloaded it).")
    static final class Remove implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Mixin
        DbOption db;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (Store store = db.open()) {
                ModelRecords.ModelRecord m = store.db.models().find(name).orElseThrow(() -> new Main.UsageException(
                        "no model named '" + name + "' in the store; see `puhui models`"));
                store.db.models().remove(name);
                Path file = Path.of(m.path());
                // imported files belong to the user; downloaded ones live under the store and go with the entry
                if (!m.source().startsWith("import:") && file.startsWith(store.modelsDir())) {
                    Files.deleteIfExists(file);
                }
                spec.commandLine().getOut().println("Removed " + name);
            }
            return Main.OK;
        }
    }

    @Command(name = "import", description = "Add a local GGUF file to the store under a name (the file stays put).")
    static final class Import implements Callable<Integer> {
        @Parameters(paramLabel = "FILE.gguf")
        Path file;

        @Option(names = "--name", description = "Name in the API (default: the file name without .gguf).")
        String name;

        @Mixin
        DbOption db;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Path abs = file.toAbsolutePath().normalize();
            try (GgufFile g = GgufFile.open(abs)) {
                g.metadata().getString("general.architecture"); // a readable GGUF model, or a clear error
            }
            String n = name != null ? name : ServeNames.fromFile(abs);
            CompressionRecord.Summary rec = CompressionRecord.summary(abs);
            try (Store store = db.open()) {
                store.db.models().put(new ModelRecords.ModelRecord(n, abs.toString(), Files.size(abs),
                        rec == null ? null : rec.sha256(), "import:" + abs, Instant.now(),
                        rec == null ? null : rec.lineage()));
            }
            spec.commandLine().getOut().println("Imported " + abs + " as '" + n + "'"
                    + (rec == null ? "" : " (variant of " + rec.lineage().parentSha256().substring(0, 12) + ", "
                    + rec.lineage().method() + ")"));
            return Main.OK;
        }
    }

    static String size(long bytes) {
        return bytes >= 1L << 30 ? String.format("%.1f GiB", bytes / (double) (1L << 30))
                : String.format("%.1f MiB", bytes / (double) (1L << 20));
    }
}
