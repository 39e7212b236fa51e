// A load generator for the OpenAI streaming API: C concurrent clients, each sending R streamed completions, and the
// latency, time to first token and aggregate token rate they saw. Run with `java bench/ServeLoad.java` (no build).
//
//   java bench/ServeLoad.java BASE_URL MODEL CONCURRENCY ROUNDS MAX_TOKENS [WARM_ROUNDS]
//
// Each client first sends WARM_ROUNDS requests (default 1) that are not counted, and the measured rounds start
// together once every client is done with them: this process is a fresh JVM, and its first requests pay for
// loading and compiling the HTTP client and opening connections, which is no part of what is measured.
// Prints one CSV line: concurrency,requests,p50_ms,p99_ms,ttft_p50_ms,ttft_p99_ms,tokens,tokens_per_s
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

public class ServeLoad {
    public static void main(String[] args) throws Exception {
        String base = args[0];
        String model = args[1];
        int concurrency = Integer.parseInt(args[2]);
        int rounds = Integer.parseInt(args[3]);
        int maxTokens = Integer.parseInt(args[4]);
        int warm = args.length > 5 ? Integer.parseInt(args[5]) : 1;
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        List<Double> ttfts = Collections.synchronizedList(new ArrayList<>());
        AtomicLong tokens = new AtomicLong();
        CountDownLatch done = new CountDownLatch(concurrency);
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        long[] t0 = {0};
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(concurrency,
                () -> t0[0] = System.nanoTime());
        for (int c = 0; c < concurrency; c++) {
            int client = c;
            Thread.ofVirtual().start(() -> {
                try {
                    for (int r = -warm; r < rounds; r++) {
                        if (r == 0) {
                            start.await();
                        }
                        String body = "{\"model\":\"" + model + "\",\"prompt\":\"Once upon a time " + client
                                + "\",\"max_tokens\":" + maxTokens + ",\"temperature\":0.8,\"seed\":" + (client * 1000
                                + r) + ",\"ignore_eos\":true,\"stream\":true}";
                        long s = System.nanoTime();
                        HttpResponse<java.util.stream.Stream<String>> resp = http.send(HttpRequest.newBuilder(
                                URI.create(base + "/v1/completions")).header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                HttpResponse.BodyHandlers.ofLines());
                        if (resp.statusCode() != 200) {
                            throw new IllegalStateException("HTTP " + resp.statusCode());
                        }
                        long[] first = {0};
                        long[] n = {0};
                        resp.body().forEach(line -> {
                            if (line.startsWith("data: {") && first[0] == 0) {
                                first[0] = System.nanoTime();
                            } else if (line.startsWith(": usage ")) {
                                // the server's own count: tokens whose text is held back send no chunk of their own
                                n[0] = Long.parseLong(line.replaceAll(".*\"completion_tokens\":(\\d+).*", "$1"));
                            }
                        });
                        long e = System.nanoTime();
                        if (r >= 0) {
                            latencies.add((e - s) / 1e6);
                            ttfts.add((first[0] - s) / 1e6);
                            tokens.addAndGet(n[0]);
                        }
                    }
                } catch (Throwable t) {
                    errors.add(t);
                    start.reset(); // frees the others: the run is failed
                } finally {
                    done.countDown();
                }
            });
        }
        done.await();
        double wall = (System.nanoTime() - t0[0]) / 1e9;
        if (!errors.isEmpty()) {
            System.err.println(errors.size() + " clients failed: " + errors.get(0));
            System.exit(1);
        }
        System.out.printf("%d,%d,%.2f,%.2f,%.2f,%.2f,%d,%.1f%n", concurrency, latencies.size(), pct(latencies, 50),
                pct(latencies, 99), pct(ttfts, 50), pct(ttfts, 99), tokens.get(), tokens.get() / wall);
    }

    static double pct(List<Double> xs, double p) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int i = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, i)));
    }
}
