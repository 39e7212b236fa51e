// Pulls a generated GGUF from a loopback server in each hub's layout: complete pulls, fallback, resume,
// checksum rejection and the offline message.
package io.puhui.server.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.model.RandomModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class ModelPullerTest {

    private static byte[] gguf;
    private static ModelCatalog catalog;

    @TempDir
    Path models;

    private LoopbackHub hub;
    private final Recorder progress = new Recorder();

    @BeforeAll
    static void generateModel(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tiny.gguf");
        RandomModel.write(RandomModel.QWEN2_5_TINY, GgmlType.Q8_0, 7, file);
        gguf = Files.readAllBytes(file);
        byte[] json = LoopbackHub.CATALOG_JSON.getBytes(StandardCharsets.UTF_8);
        catalog = ModelCatalog.read(new ByteArrayInputStream(json));
    }

    @BeforeEach
    void start() throws IOException {
        hub = new LoopbackHub(gguf);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    /** Records what a pull reports, to check the user is told about fallbacks and resumes. */
    static final class Recorder implements ProgressListener {
        final List<String> messages = new CopyOnWriteArrayList<>();
        volatile long lastDone = -1;
        volatile long lastTotal = -1;
        volatile int finished;

        @Override
        public void progress(long bytesDone, long bytesTotal) {
            lastDone = bytesDone;
            lastTotal = bytesTotal;
        }

        @Override
        public void message(String line) {
            messages.add(line);
        }

        @Override
        public void finished() {
            finished++;
        }
    }

    private ModelPuller puller(Hub preferred) {
        return new ModelPuller(hub.env(preferred), catalog);
    }

    private Path expectedPath(Hub h) {
        return models.resolve(h.id()).resolve("puhui-test").resolve("Tiny-GGUF").resolve(LoopbackHub.FILE);
    }

    private List<Path> filesUnder(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void pullsFromModelScopeByDefault() throws IOException {
        Map<String, String> env = hub.env(Hub.MODELSCOPE);
        env = Map.of("PUHUI_MODELSCOPE_ENDPOINT", env.get("PUHUI_MODELSCOPE_ENDPOINT"),
                "PUHUI_HF_ENDPOINT", env.get("PUHUI_HF_ENDPOINT"));
        PulledModel m = new ModelPuller(env, catalog).pull(ModelRef.parse("tiny"), models, progress);

        assertThat(m.name()).isEqualTo("tiny:q8_0");
        assertThat(m.source()).isEqualTo("ms://puhui-test/Tiny-GGUF/tiny-q8_0.gguf");
        assertThat(m.path()).isEqualTo(expectedPath(Hub.MODELSCOPE));
        assertThat(m.sizeBytes()).isEqualTo(gguf.length);
        assertThat(m.sha256()).isEqualTo(hub.sha256);
        assertThat(Files.readAllBytes(m.path())).isEqualTo(gguf);
        assertThat(filesUnder(models)).containsExactly(m.path());
        assertThat(hub.requests).extracting(LoopbackHub.Request::path).noneMatch(p -> p.startsWith("/hf/"));
        assertThat(hub.requests).extracting(LoopbackHub.Request::query)
                .contains("Revision=master&Recursive=true", "Revision=master&FilePath=" + LoopbackHub.FILE);
        assertThat(progress.lastDone).isEqualTo(gguf.length);
        assertThat(progress.lastTotal).isEqualTo(gguf.length);
        assertThat(progress.finished).isEqualTo(1);
    }

    @Test
    void pullsFromHuggingFaceWithTheChecksumFromTheRedirect() throws IOException {
        PulledModel m = puller(Hub.HUGGINGFACE).pull(ModelRef.parse("tiny:q8_0"), models, progress);

        assertThat(m.source()).isEqualTo("hf://puhui-test/Tiny-GGUF/tiny-q8_0.gguf");
        assertThat(m.path()).isEqualTo(expectedPath(Hub.HUGGINGFACE));
        assertThat(m.sha256()).isEqualTo(hub.sha256);
        assertThat(Files.readAllBytes(m.path())).isEqualTo(gguf);
        assertThat(hub.requests).extracting(LoopbackHub.Request::path).noneMatch(p -> p.startsWith("/api/"));
        assertThat(hub.requests).extracting(r -> r.method() + " " + r.path()).containsExactly(
                "HEAD /hf/puhui-test/Tiny-GGUF/resolve/main/tiny-q8_0.gguf",
                "GET /hf/puhui-test/Tiny-GGUF/resolve/main/tiny-q8_0.gguf",
                "GET /cdn/blobs/" + hub.sha256);
    }

    @Test
    void anExplicitHubReferenceUsesOnlyThatHub() throws IOException {
        hub.huggingFaceStatus = 404;
        ModelRef ref = ModelRef.parse("hf://puhui-test/Tiny-GGUF/tiny-q8_0.gguf");

        assertThatThrownBy(() -> puller(Hub.MODELSCOPE).pull(ref, models, progress))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot find hf://puhui-test/Tiny-GGUF/tiny-q8_0.gguf")
                .hasMessageContaining("404");
        assertThat(hub.requests).extracting(LoopbackHub.Request::path).noneMatch(p -> p.startsWith("/api/"));
        assertThat(filesUnder(models)).isEmpty();

        hub.huggingFaceStatus = 0;
        PulledModel m = puller(Hub.MODELSCOPE).pull(ref, models, progress);
        assertThat(m.name()).isEqualTo("hf://puhui-test/Tiny-GGUF/tiny-q8_0.gguf");
        assertThat(m.path()).isEqualTo(expectedPath(Hub.HUGGINGFACE));
        assertThat(m.sha256()).isEqualTo(hub.sha256);
    }

    @ParameterizedTest
    @ValueSource(ints = {404, 500, 503})
    void fallsBackToHuggingFaceWhenModelScopeFails(int status) throws IOException {
        hub.modelScopeStatus = status;

        PulledModel m = puller(Hub.MODELSCOPE).pull(ModelRef.parse("tiny"), models, progress);

        assertThat(m.source()).startsWith("hf://");
        assertThat(m.path()).isEqualTo(expectedPath(Hub.HUGGINGFACE));
        assertThat(Files.readAllBytes(m.path())).isEqualTo(gguf);
        assertThat(progress.messages).anySatisfy(line -> assertThat(line)
                .contains("HTTP " + status).contains("trying 127.0.0.1:").contains("instead"));
        assertThat(filesUnder(models.resolve("modelscope"))).isEmpty();
    }

    @Test
    void fallsBackToModelScopeWhenHuggingFaceFails() throws IOException {
        hub.huggingFaceStatus = 500;

        PulledModel m = puller(Hub.HUGGINGFACE).pull(ModelRef.parse("tiny"), models, progress);

        assertThat(m.source()).startsWith("ms://");
        assertThat(m.sha256()).isEqualTo(hub.sha256);
        assertThat(progress.messages).anySatisfy(line -> assertThat(line).contains("HTTP 500").contains("trying"));
    }

    @Test
    void whenBothHubsFailTheMessageNamesEach() {
        hub.modelScopeStatus = 503;
        hub.huggingFaceStatus = 404;

        assertThatThrownBy(() -> puller(Hub.MODELSCOPE).pull(ModelRef.parse("tiny"), models, progress))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot download tiny:q8_0")
                .hasMessageContaining("HTTP 503")
                .hasMessageContaining("HTTP 404");
    }

    @ParameterizedTest
    @EnumSource(Hub.class)
    void resumesAnInterruptedDownloadWithARangeRequest(Hub h) throws IOException {
        long cut = 150_000;
        hub.cutNextDownloadAfter = cut;
        ModelPuller puller = puller(h);
        Path part = expectedPath(h).resolveSibling(LoopbackHub.FILE + ".part");

        assertThatThrownBy(() -> puller.pull(ModelRef.parse("tiny"), models, progress))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("stopped at")
                .hasMessageContaining("run the same pull again to resume");
        assertThat(expectedPath(h)).doesNotExist();
        long kept = Files.size(part);
        assertThat(kept).isPositive().isLessThanOrEqualTo(cut);
        assertThat(Files.readAllBytes(part)).isEqualTo(java.util.Arrays.copyOf(gguf, (int) kept));

        PulledModel m = puller.pull(ModelRef.parse("tiny"), models, progress);

        assertThat(hub.downloads()).last().extracting(LoopbackHub.Request::range).isEqualTo("bytes=" + kept + "-");
        assertThat(progress.messages).anySatisfy(line -> assertThat(line).startsWith("resuming"));
        assertThat(m.sha256()).isEqualTo(hub.sha256);
        assertThat(LoopbackHub.sha256(Files.readAllBytes(m.path()))).isEqualTo(hub.sha256);
        assertThat(part).doesNotExist();
    }

    @Test
    void startsOverWhenTheServerIgnoresTheRange() throws IOException {
        hub.cutNextDownloadAfter = 100_000;
        ModelPuller puller = puller(Hub.MODELSCOPE);
        assertThatThrownBy(() -> puller.pull(ModelRef.parse("tiny"), models, progress)).isInstanceOf(IOException.class);
        hub.ignoreRange = true;

        PulledModel m = puller.pull(ModelRef.parse("tiny"), models, progress);

        assertThat(hub.downloads()).last().extracting(LoopbackHub.Request::range).isNotNull();
        assertThat(progress.messages).anySatisfy(line -> assertThat(line).contains("starting").contains("over"));
        assertThat(Files.readAllBytes(m.path())).isEqualTo(gguf);
    }

    @Test
    void aCompletePartIsVerifiedWithoutDownloadingAgain() throws IOException {
        Path part = expectedPath(Hub.MODELSCOPE).resolveSibling(LoopbackHub.FILE + ".part");
        Files.createDirectories(part.getParent());
        Files.write(part, gguf);

        PulledModel m = puller(Hub.MODELSCOPE).pull(ModelRef.parse("tiny"), models, progress);

        assertThat(hub.downloads()).isEmpty();
        assertThat(m.sha256()).isEqualTo(hub.sha256);
        assertThat(part).doesNotExist();
    }

    @ParameterizedTest
    @EnumSource(Hub.class)
    void rejectsAFileWhoseChecksumDiffers(Hub h) throws IOException {
        String wrong = "ab".repeat(32);
        hub.publishedSha256 = wrong;
        ModelRef ref = ModelRef.parse(h.scheme() + "://" + LoopbackHub.REPO + "/" + LoopbackHub.FILE);

        assertThatThrownBy(() -> puller(Hub.MODELSCOPE).pull(ref, models, progress))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("checksum mismatch")
                .hasMessageContaining(wrong)
                .hasMessageContaining(hub.sha256);
        assertThat(hub.downloads()).hasSize(1);
        assertThat(filesUnder(models)).isEmpty();
    }

    @Test
    void aPageInsteadOfAModelIsRejectedWhenTheHubGaveNoChecksum() throws IOException {
        // What a captive portal or a misconfigured proxy answers with a 200.
        byte[] page = "<html><body>Please log in to the guest network</body></html>".getBytes(StandardCharsets.UTF_8);
        try (LoopbackHub portal = new LoopbackHub(page)) {
            portal.publishedSha256 = "";
            ModelPuller puller = new ModelPuller(portal.env(Hub.MODELSCOPE), catalog);

            assertThatThrownBy(() -> puller.pull(ModelRef.parse("tiny"), models, progress))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("is not a GGUF file");
        }
        assertThat(filesUnder(models)).isEmpty();
    }

    @Test
    void aDownloadedModelIsNotFetchedAgain() throws IOException {
        PulledModel first = puller(Hub.MODELSCOPE).pull(ModelRef.parse("tiny"), models, progress);
        int requests = hub.requests.size();

        PulledModel second = puller(Hub.MODELSCOPE).pull(ModelRef.parse("tiny:q8_0"), models, progress);

        assertThat(hub.requests).hasSize(requests);
        assertThat(second).isEqualTo(first);
        assertThat(progress.messages).anySatisfy(line -> assertThat(line).startsWith("already downloaded"));
    }

    @Test
    void aStalledDownloadIsAbandonedAndKeptForResume() throws IOException {
        hub.stallNextDownloadAfter = 50_000;
        ModelPuller puller = new ModelPuller(hub.env(Hub.MODELSCOPE), catalog, Duration.ofSeconds(5),
                Duration.ofMillis(500));
        long start = System.nanoTime();

        assertThatThrownBy(() -> puller.pull(ModelRef.parse("tiny"), models, progress))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("no data for");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        Path part = expectedPath(Hub.MODELSCOPE).resolveSibling(LoopbackHub.FILE + ".part");
        assertThat(Files.size(part)).isEqualTo(50_000);

        PulledModel m = puller.pull(ModelRef.parse("tiny"), models, progress);
        assertThat(m.sha256()).isEqualTo(hub.sha256);
    }

    @Test
    void refusesToWriteAPartAnotherPullHolds() throws IOException {
        Path part = expectedPath(Hub.MODELSCOPE).resolveSibling(LoopbackHub.FILE + ".part");
        Files.createDirectories(part.getParent());
        try (FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            assertThat(ch.lock().isValid()).isTrue();
            assertThatThrownBy(() -> puller(Hub.MODELSCOPE).pull(ModelRef.parse("tiny"), models, progress))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("another pull is already writing");
        }
        assertThat(expectedPath(Hub.MODELSCOPE)).doesNotExist();
    }

    @Test
    void failsFastWithOneClearMessageWhenNoHubCanBeReached() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Map<String, String> env = Map.of("PUHUI_MODELSCOPE_ENDPOINT", "http://127.0.0.1:" + closedPort,
                "PUHUI_HF_ENDPOINT", "http://127.0.0.1:" + closedPort + "/hf");
        long start = System.nanoTime();

        assertThatThrownBy(() -> new ModelPuller(env, catalog).pull(ModelRef.parse("tiny"), models, progress))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot reach 127.0.0.1:" + closedPort + " or 127.0.0.1:" + closedPort
                        + ": check the network, or serve a local file with `puhui serve --model FILE.gguf`");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(filesUnder(models)).isEmpty();
    }

    @Test
    void rejectsABadHubSettingBeforeDownloading() {
        assertThatThrownBy(() -> new ModelPuller(Map.of("PUHUI_HUB", "github"), catalog))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PUHUI_HUB=github")
                .hasMessageContaining("modelscope")
                .hasMessageContaining("huggingface");
    }

    @Test
    void anUnknownCatalogNameListsTheKnownOnes() {
        assertThatThrownBy(() -> puller(Hub.MODELSCOPE).pull(ModelRef.parse("tiny2"), models, progress))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown model 'tiny2'")
                .hasMessageContaining("tiny");
        assertThat(hub.requests).isEmpty();
    }
}
