// What operators scrape from /metrics: requests, latency, time to first token, token rates, queues, loaded models.
package io.puhui.server.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.puhui.server.node.Supervisor;
import io.puhui.server.node.WorkerProcess;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

final class GatewayMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final AtomicInteger inFlight = new AtomicInteger();

    GatewayMetrics(Supervisor supervisor) {
        Gauge.builder("puhui.requests.in.flight", inFlight, AtomicInteger::get)
                .description("Requests being answered now").register(registry);
        Gauge.builder("puhui.queue.depth", supervisor, s -> s.running().stream().mapToInt(WorkerProcess::queued).sum())
                .description("Requests waiting for a decoding slot in the workers").register(registry);
        Gauge.builder("puhui.models.loaded", supervisor, s -> s.running().size())
                .description("Models loaded in worker processes").register(registry);
    }

    void request(String endpoint, String model, int status, Duration latency) {
        Timer.builder("puhui.request.duration").description("Time to answer a request, end to end")
                .tags("endpoint", endpoint, "model", model, "status", Integer.toString(status))
                .publishPercentileHistogram().register(registry).record(latency);
    }

    /** One cascade decision: the small variant's answer kept, or the request escalated. */
    void cascade(String model, boolean escalated) {
        Counter.builder("puhui.cascade.decisions").description("Small-variant answers kept or escalated")
                .tags("model", model, "outcome", escalated ? "escalated" : "kept").register(registry).increment();
    }

    /** Where a routed request went. */
    /** A request the input check refused. */
    void refused(String category) {
        Counter.builder("puhui.safety.refused").description("Requests refused by the input check, by risk category")
                .tags("category", category).register(registry).increment();
    }

    /** An answer the output check withheld. */
    void withheld(String category) {
        Counter.builder("puhui.safety.withheld").description("Answers withheld by the output check, by risk category")
                .tags("category", category).register(registry).increment();
    }

    void routed(String model, String tier) {
        Counter.builder("puhui.requests.routed").description("Requests by the tier they were served at")
                .tags("model", model, "tier", tier).register(registry).increment();
    }

    /** Generated tokens by the tier that served them: with the cascade, the share kept on devices and edges. */
    void served(String model, String tier, int completionTokens) {
        if (completionTokens > 0) {
            Counter.builder("puhui.tokens.served").description("Generated tokens by the tier that served them")
                    .tags("model", model, "tier", tier).register(registry).increment(completionTokens);
        }
    }

    void firstToken(String model, Duration ttft) {
        Timer.builder("puhui.time.to.first.token").description("Time from request to the first streamed byte")
                .tags("model", model).publishPercentileHistogram().register(registry).record(ttft);
    }

    void tokens(String model, int prompt, int completion, double tokensPerSecond) {
        Counter.builder("puhui.tokens.prompt").tags("model", model).register(registry).increment(prompt);
        Counter.builder("puhui.tokens.generated").tags("model", model).register(registry).increment(completion);
        if (tokensPerSecond > 0) {
            DistributionSummary.builder("puhui.generation.tokens.per.second")
                    .description("Generation speed seen by each request").tags("model", model)
                    .register(registry).record(tokensPerSecond);
        }
    }

    String scrape() {
        return registry.scrape();
    }
}
