// An agent joins a control plane that serves HTTPS (a self-signed certificate made here with keytool): with the
// certificate given by --ca it joins and answers requests over the tunnel; without it, it stops at once with a
// clear reason and never appears in the pool.
package io.puhui.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.puhui.engine.SharedData;
import io.puhui.server.api.Json;
import io.puhui.server.api.Tls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PoolTlsIT {
    @TempDir
    Path tmp;

    /** A self-signed certificate for 127.0.0.1 and localhost, written as PEM (chain and PKCS#8 key). */
    static void selfSigned(Path dir) throws Exception {
        Path p12 = dir.resolve("plane.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "plane", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "san=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", p12.toString(), "-storepass", "secret123").redirectErrorStream(true).start();
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(p12)) {
            ks.load(in, "secret123".toCharArray());
        }
        Base64.Encoder pem = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\n"
                + pem.encodeToString(ks.getCertificate("plane").getEncoded()) + "\n-----END CERTIFICATE-----\n");
        Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n"
                + pem.encodeToString(ks.getKey("plane", "secret123".toCharArray()).getEncoded()) + "\n-----END PRIVATE KEY-----\n");
    }

    @Test
    void anAgentJoinsAnHttpsPlaneWithTheCertificateItWasGivenAndOnlyThen() throws Exception {
        selfSigned(tmp);
        Path planeHome = Files.createDirectories(tmp.resolve("plane"));
        Path nodeHome = Files.createDirectories(tmp.resolve("node"));
        try (ServeProcess plane = ServeProcess.start(planeHome, "--model", SharedData.stories260K().toString(),
                "--name", "stories", "--tier", "cloud", "--heartbeat", "0.5", "--threads", "1",
                "--tls-cert", tmp.resolve("cert.pem").toString(), "--tls-key", tmp.resolve("key.pem").toString())) {
            assertThat(plane.baseUrl).startsWith("https://127.0.0.1:");
            HttpClient https = HttpClient.newBuilder().sslContext(Tls.trusting(tmp.resolve("cert.pem")))
                    .connectTimeout(Duration.ofSeconds(5)).build();
            // the admin commands of this home reach the plane over its loopback listener, with no certificate
            CliProcessIT.Result created = PoolTunnelIT.puhui(planeHome, "token", "create", "--tier", "device");
            assertThat(created.exit()).as(created.err()).isZero();
            String token = created.out().strip().lines().reduce((a, b) -> b).orElseThrow();

            // without --ca: the system does not trust a self-signed certificate, and retrying cannot change that
            CliProcessIT.Result untrusted = CliProcessIT.run(ServeProcess.java(nodeHome, "agent", "--join", plane.baseUrl,
                    "--token", token, "--node-name", "phone"), Map.of("PUHUI_HOME", nodeHome.toString()));
            assertThat(untrusted.exit()).isEqualTo(1);
            assertThat(untrusted.err()).contains("is not trusted").contains("--ca FILE.pem");
            assertThat(nodes(https, plane)).noneMatch(n -> n.path("name").asText().equals("phone"));

            CliProcessIT.Result plain = CliProcessIT.run(ServeProcess.java(nodeHome, "agent", "--join",
                    plane.baseUrl.replace("https", "http"), "--token", token, "--ca", tmp.resolve("cert.pem").toString()),
                    Map.of("PUHUI_HOME", nodeHome.toString()));
            assertThat(plain.exit()).isEqualTo(2);
            assertThat(plain.err()).contains("--ca is for an https control plane");

            ProcessBuilder pb = new ProcessBuilder(ServeProcess.java(nodeHome, "agent", "--join", plane.baseUrl, "--token",
                    token, "--ca", tmp.resolve("cert.pem").toString(), "--node-name", "phone", "--model",
                    SharedData.stories260K().toString(), "--name", "stories", "--threads", "1"))
                    .redirectErrorStream(true).redirectOutput(nodeHome.resolve("agent.log").toFile());
            pb.environment().put("PUHUI_HOME", nodeHome.toString());
            Process agent = pb.start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                JsonNode phone = null;
                while (System.nanoTime() < deadline && phone == null) {
                    phone = nodes(https, plane).stream().filter(n -> n.path("name").asText().equals("phone")
                            && n.path("state").asText().equals("READY") && n.path("instances").size() > 0)
                            .findFirst().orElse(null);
                    Thread.sleep(200);
                }
                assertThat(phone).as(Files.readString(nodeHome.resolve("agent.log"))).isNotNull();
                assertThat(phone.path("tier").asText()).isEqualTo("device");
                HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create(plane.baseUrl + "/v1/chat/completions"))
                        .header("Content-Type", "application/json").header("x-puhui-locality", "device")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"stories\",\"messages\":[{\"role\":\"user\","
                                + "\"content\":\"Once upon a time\"}],\"max_tokens\":8,\"temperature\":0}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(r.headers().firstValue("x-puhui-route").orElse("")).startsWith("device:phone/");
                assertThat(Json.MAPPER.readTree(r.body()).path("usage").path("completion_tokens").asInt()).isPositive();
            } finally {
                agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    static List<JsonNode> nodes(HttpClient https, ServeProcess plane) throws Exception {
        HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create(plane.baseUrl + "/api/nodes")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        List<JsonNode> out = new java.util.ArrayList<>();
        Json.MAPPER.readTree(r.body()).forEach(out::add);
        return out;
    }
}
