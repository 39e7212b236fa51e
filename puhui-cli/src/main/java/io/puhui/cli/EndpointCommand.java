// `puhui endpoint add|list|remove`: OpenAI-compatible servers (vLLM, llama-server, Ollama, a cloud API, another
// Puhui) that serve a logical model on a tier; their keys are stored encrypted.
package io.puhui.cli;

import io.puhui.server.pool.EndpointPool;
import io.puhui.server.pool.Tier;
import io.puhui.server.store.Endpoints;
import io.puhui.server.store.SecretBox;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "endpoint", description = "Add, list and remove OpenAI-compatible endpoints that serve a model.",
        subcommands = {EndpointCommand.Add.class, EndpointCommand.ListEndpoints.class, EndpointCommand.Remove.class})
final class EndpointCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    private static EndpointPool.Health check(Store store, Endpoints.Endpoint e) {
        try (EndpointPool pool = new EndpointPool(List::of, SecretBox.forHome(store.home), Duration.ofHours(1))) {
            return pool.check(e, e.sealedKey() == null ? null : SecretBox.forHome(store.home).open(e.sealedKey()));
        } catch (IllegalArgumentException badKey) {
            return new EndpointPool.Health(false, badKey.getMessage(), java.time.Instant.now());
        }
    }

    @Command(name = "add", description = "Register an endpoint as a variant of MODEL and check that it answers.")
    static final class Add implements Callable<Integer> {
        @Parameters(paramLabel = "MODEL", description = "The logical model clients ask for, e.g. qwen2.5.")
        String model;

        @Option(names = "--tier", defaultValue = "cloud", paramLabel = "device|edge|cloud", description = "Its tier (default ${DEFAULT-VALUE}).")
        String tier;

        @Option(names = "--url", required = true, paramLabel = "URL", description = "Its OpenAI API base, e.g. http://gpu-box:8000/v1.")
        String url;

        @Option(names = "--model", required = true, paramLabel = "NAME", description = "The model's name on the endpoint.")
        String upstream;

        @Option(names = "--key", paramLabel = "KEY", description = "Its API key (stored encrypted), if it needs one.")
        String key;

        @Mixin
        DbOption db;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Tier t = Main.tier("--tier", tier);
            URI u;
            try {
                u = URI.create(url.trim());
            } catch (IllegalArgumentException e) {
                throw new Main.UsageException("--url takes http(s)://HOST[:PORT]/v1, not '" + url + "'");
            }
            try (Store store = db.open()) {
                String sealed = key == null || key.isBlank() ? null : SecretBox.forHome(store.home).seal(key.trim());
                Endpoints.Endpoint e;
                try {
                    e = store.db.endpoints().add(model, t, u, upstream, sealed);
                } catch (IllegalArgumentException ex) {
                    throw new Main.UsageException(ex.getMessage());
                }
                EndpointPool.Health h = check(store, e);
                PrintWriter out = spec.commandLine().getOut();
                out.println("Added endpoint " + e.id() + ": '" + model + "' at tier " + t.name().toLowerCase(Locale.ROOT)
                        + " → " + e.url() + " as " + upstream + (sealed != null ? " (key stored encrypted)" : "") + ".");
                out.println(h.healthy() ? "It answers: healthy." : "Unhealthy, " + h.detail()
                        + ": `serve` will not use it until it answers (checked every 10 s).");
                out.flush();
            }
            return Main.OK;
        }
    }

    @Command(name = "list", description = "List endpoints and check each one now.")
    static final class ListEndpoints implements Callable<Integer> {
        @Mixin
        DbOption db;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (Store store = db.open()) {
                PrintWriter out = spec.commandLine().getOut();
                out.printf("%-16s %-16s %-6s %-36s %-28s %s%n", "ID", "MODEL", "TIER", "URL", "AS", "HEALTH");
                for (Endpoints.Endpoint e : store.db.endpoints().list()) {
                    EndpointPool.Health h = check(store, e);
                    out.printf("%-16s %-16s %-6s %-36s %-28s %s%n", e.id(), e.model(),
                            e.tier().name().toLowerCase(Locale.ROOT), e.url(), e.upstreamModel(),
                            h.healthy() ? "healthy" : "unhealthy: " + h.detail());
                }
                out.flush();
            }
            return Main.OK;
        }
    }

    @Command(name = "remove", description = "Remove an endpoint.")
    static final class Remove implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "The endpoint's id (ep_…), as `puhui endpoint list` shows.")
        String id;

        @Mixin
        DbOption db;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (Store store = db.open()) {
                if (!store.db.endpoints().remove(id)) {
                    throw new Main.UsageException("no endpoint '" + id + "'; `puhui endpoint list` shows them");
                }
                spec.commandLine().getOut().println("Removed endpoint " + id + ".");
            }
            return Main.OK;
        }
    }
}
