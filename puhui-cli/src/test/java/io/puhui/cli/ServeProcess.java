// A `puhui serve` started as a real process on a free loopback port, for end-to-end tests.
package io.puhui.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

final class ServeProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on (https?://127\\.0\\.0\\.1:(\\d+))");
    static final HttpClient HTTP = HttpClient.newHttpClient();
    /** The visible label `serve` adds to the end of every answer by default. */
    static final String LABEL = "\n\n（本内容由人工智能生成 · AI-generated）";

    final Process process;
    final String baseUrl;
    final Path log;

    private ServeProcess(Process process, String baseUrl, Path log) {
        this.process = process;
        this.baseUrl = baseUrl;
        this.log = log;
    }

    static List<String> java(Path home, String... args) {
        List<String> cmd = CliProcessIT.jvm();
        cmd.addAll(List.of("-Duser.home=" + home, "-jar", CliProcessIT.JAR.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static ServeProcess start(Path home, String... args) throws IOException, InterruptedException {
        List<String> cmd = java(home, "serve", "--port", "0");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("PUHUI_HOME", home.toString());
        Path log = Files.createTempFile(home, "serve", ".log");
        pb.redirectError(log.toFile());
        Process p = pb.start();
        CompletableFuture<String> url = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        url.complete(m.group(1));
                    }
                }
            } catch (IOException ignored) {
                // process gone
            }
            url.complete(null);
        });
        try {
            String u = url.get(120, TimeUnit.SECONDS);
            if (u == null) {
                throw new AssertionError("serve exited: " + Files.readString(log));
            }
            return new ServeProcess(p, u, log);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            p.destroyForcibly();
            throw new AssertionError("serve did not start: " + Files.readString(log), e);
        }
    }

    HttpResponse<String> post(String path, String body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
