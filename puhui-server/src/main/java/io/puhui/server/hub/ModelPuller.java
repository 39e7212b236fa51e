// Downloads a model file from ModelScope or Hugging Face into the models directory, resumably and verified:
// nothing carries the final name until its size and SHA-256 match what the hub published.
package io.puhui.server.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public final class ModelPuller {

    private static final Logger log = LoggerFactory.getLogger(ModelPuller.class);

    private static final int BUFFER = 1 << 20;
    private static final double MIB = 1024.0 * 1024.0;
    // Short, so that a machine without network hears so in seconds rather than after the OS's minute-long default.
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    // A CDN that stops sending without closing the connection would otherwise hold the pull forever.
    static final Duration STALL_TIMEOUT = Duration.ofSeconds(60);
    private static final String OFFLINE_HINT =
            "check the network, or serve a local file with `puhui serve --model FILE.gguf`";

    private final Map<String, String> env;
    private final ModelCatalog catalog;
    private final Hub preferred;
    private final Duration connectTimeout;
    private final Duration stallTimeout;

    /** Reads hub settings from the process environment and names from the built-in catalog. */
    public ModelPuller() {
        this(System.getenv(), ModelCatalog.builtIn());
    }

    /** Names come from the built-in catalog. */
    public ModelPuller(Map<String, String> env) {
        this(env, ModelCatalog.builtIn());
    }

    /**
     * @param env where {@code PUHUI_HUB}, {@code PUHUI_MODELSCOPE_ENDPOINT}, {@code PUHUI_HF_ENDPOINT},
     *            {@code HF_ENDPOINT} and {@code HF_TOKEN} are read from
     */
    public ModelPuller(Map<String, String> env, ModelCatalog catalog) {
        this(env, catalog, CONNECT_TIMEOUT, STALL_TIMEOUT);
    }

    ModelPuller(Map<String, String> env, ModelCatalog catalog, Duration connectTimeout, Duration stallTimeout) {
        this.env = Map.copyOf(env);
        this.catalog = catalog;
        this.connectTimeout = connectTimeout;
        this.stallTimeout = stallTimeout;
        // Checked now so that a bad setting fails before anything is downloaded.
        this.preferred = Hub.preferred(this.env);
        for (Hub h : Hub.values()) {
            h.endpoint(this.env);
        }
    }

    /**
     * Downloads {@code ref} into {@code modelsDir/<hub>/<owner>/<repo>/<file>} unless it is already there. A catalog
     * name is tried on the preferred hub and then on the other; an {@code ms://} or {@code hf://} file only on its
     * own hub. An interrupted download leaves {@code <file>.part}, which the next pull resumes. Pulls may run
     * concurrently; two of the same file do not share the {@code .part}: the second fails at once.
     *
     * @throws IOException with a message that says what failed and what to do
     * @throws IllegalArgumentException if the catalog does not know the name or tag
     */
    public PulledModel pull(ModelRef ref, Path modelsDir, ProgressListener progress) throws IOException {
        String name;
        List<HubFile> candidates = new ArrayList<>();
        switch (ref) {
            case ModelRef.Named n -> {
                ModelCatalog.Resolved r = catalog.resolve(n);
                name = r.text();
                for (Hub h : List.of(preferred, preferred.other())) {
                    if (r.files().containsKey(h)) {
                        candidates.add(r.files().get(h));
                    }
                }
            }
            case ModelRef.Direct d -> {
                name = d.text();
                candidates.add(d.file());
            }
        }
        for (HubFile f : candidates) {
            Path done = f.localPath(modelsDir);
            if (Files.isRegularFile(done)) {
                // Only verified files ever get this name, so the copy on disk is trusted without asking a hub.
                progress.message("already downloaded: " + done);
                return new PulledModel(name, done, Files.size(done), sha256Of(done), f.source());
            }
        }
        List<HubException> failures = new ArrayList<>();
        try (HubClient client = new HubClient(env, connectTimeout)) {
            for (int i = 0; i < candidates.size(); i++) {
                HubFile f = candidates.get(i);
                try {
                    return download(name, f, modelsDir, client, progress);
                } catch (HubException e) {
                    failures.add(e);
                    log.debug("pull of {} from {} failed: {}", name, f.source(), e.getMessage());
                    if (i + 1 < candidates.size()) {
                        progress.message(e.getMessage() + "; trying "
                                + client.host(candidates.get(i + 1).hub()) + " instead");
                    }
                }
            }
        }
        throw failure(name, ref, failures);
    }

    private static IOException failure(String name, ModelRef ref, List<HubException> failures) {
        String details = failures.stream().map(HubException::getMessage).collect(Collectors.joining("; "));
        String hosts = failures.stream().map(HubException::host).collect(Collectors.joining(" or "));
        IOException e;
        if (failures.stream().allMatch(f -> f.kind() == HubException.Kind.UNREACHABLE)) {
            e = new IOException("cannot reach " + hosts + ": " + OFFLINE_HINT + " (" + details + ")");
        } else if (failures.stream().allMatch(f -> f.kind() == HubException.Kind.NOT_FOUND)) {
            e = new IOException("cannot find " + name + " (" + details + "): "
                    + (ref instanceof ModelRef.Direct
                    ? "check the owner, repository and file name on the hub's web page"
                    : "the catalog entry is out of date; give the file directly as ms://OWNER/REPO/FILE.gguf"));
        } else {
            e = new IOException("cannot download " + name + " (" + details + "); try again later, or "
                    + "set " + Hub.PREFERRED_HUB_ENV + " or the hub endpoint variables to use a mirror");
        }
        failures.forEach(e::addSuppressed);
        return e;
    }

    /** What a transfer ended with, judged after the .part file is closed. */
    private record Transfer(long bytes, long expectedSize, String sha256, String expectedSha256) {
    }

    /** Throws {@link HubException} only before the first byte is written, when trying the other hub makes sense. */
    private PulledModel download(String name, HubFile f, Path modelsDir, HubClient client, ProgressListener progress)
            throws IOException {
        HubClient.Remote remote = client.describe(f);
        Path target = f.localPath(modelsDir);
        Path part = target.resolveSibling(target.getFileName() + ".part");
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        if (remote.size() >= 0 && have > remote.size()) {
            have = 0;
        }
        boolean complete = have > 0 && have == remote.size();
        HubClient.Opened opened = complete ? null : client.open(f, have);
        Transfer t;
        try {
            Files.createDirectories(target.getParent());
            try (FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                // Two pulls of one file would interleave their bytes; the lock ends with the channel.
                lock(ch, part);
                t = transfer(f, client, remote, opened, have, ch, part, progress);
            }
        } finally {
            if (opened != null) {
                // Already closed unless something failed before the transfer began; then the connection is let go.
                release(opened.body());
            }
        }
        return verify(name, f, target, part, t);
    }

    private Transfer transfer(HubFile f, HubClient client, HubClient.Remote remote, HubClient.Opened opened,
                              long have, FileChannel ch, Path part, ProgressListener progress) throws IOException {
        MessageDigest digest = sha256();
        String host = client.host(f.hub());
        if (opened == null) {
            // The previous run stopped exactly at the end: nothing to fetch, only to check.
            hash(ch, have, digest);
            return new Transfer(have, remote.size(), hex(digest), remote.sha256());
        }
        if (opened.status() == 416 || (opened.status() == 206 && opened.rangeStart() != have)) {
            // The part does not fit what the hub now serves: start over rather than splice mismatched bytes.
            progress.message(host + " cannot resume from " + mib(have) + " MiB; starting " + f.file() + " over");
            opened.body().close();
            have = 0;
            opened = client.open(f, 0);
        }
        try (InputStream body = opened.body()) {
            if (opened.status() == 200 && have > 0) {
                progress.message(host + " does not resume downloads; starting " + f.file() + " over");
                have = 0;
            }
            if (opened.status() != 200 && opened.status() != 206) {
                throw new HubException(HubException.Kind.REFUSED, host, "answered HTTP " + opened.status()
                        + " to a download from the start");
            }
            ch.truncate(have);
            if (have > 0) {
                progress.message("resuming " + f.file() + " at " + mib(have) + " MiB");
                hash(ch, have, digest);
            }
            long expected = remote.size() >= 0 ? remote.size() : opened.totalSize();
            String expectedSha = remote.sha256() != null ? remote.sha256() : opened.sha256();
            checkSpace(part, expected - have);
            long done = copy(f, client, body, ch, part, have, expected, digest, progress);
            ch.force(true);
            return new Transfer(done, expected, hex(digest), expectedSha);
        }
    }

    private long copy(HubFile f, HubClient client, InputStream body, FileChannel ch, Path part, long have,
                      long expected, MessageDigest digest, ProgressListener progress) throws IOException {
        AtomicLong lastData = new AtomicLong(System.nanoTime());
        AtomicBoolean stalled = new AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().name("pull-watchdog").start(() -> {
            long check = Math.max(10, Math.min(1000, stallTimeout.toMillis() / 4));
            try {
                while (System.nanoTime() - lastData.get() <= stallTimeout.toNanos()) {
                    Thread.sleep(check);
                }
                stalled.set(true);
                client.abort();
            } catch (InterruptedException stop) {
                // the transfer ended
            }
        });
        long done = have;
        byte[] buf = new byte[BUFFER];
        ch.position(have);
        try {
            progress.progress(done, expected);
            while (true) {
                int n;
                try {
                    // read, not readNBytes: bytes already received must reach the .part even if the next read fails.
                    n = body.read(buf, 0, buf.length);
                } catch (IOException e) {
                    String why = stalled.get() ? "no data for " + stallTimeout.toSeconds() + " s"
                            : e instanceof InterruptedIOException || Thread.currentThread().isInterrupted()
                            ? "interrupted" : "connection lost: " + e.getMessage();
                    throw new IOException("download of " + f.source() + " stopped at " + mib(done)
                            + (expected > 0 ? " of " + mib(expected) : "") + " MiB (" + why + "); run the same pull "
                            + "again to resume from there", e);
                }
                if (n < 0) {
                    break;
                }
                lastData.set(System.nanoTime());
                digest.update(buf, 0, n);
                try {
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) {
                        ch.write(bb);
                    }
                } catch (IOException e) {
                    throw new IOException("cannot write " + part + " (" + e.getMessage() + "); free disk space or "
                            + "fix the directory's permissions, then run the same pull again to resume", e);
                }
                done += n;
                progress.progress(done, expected);
            }
        } finally {
            watchdog.interrupt();
            progress.finished();
        }
        return done;
    }

    private static PulledModel verify(String name, HubFile f, Path target, Path part, Transfer t) throws IOException {
        if (t.expectedSize() >= 0 && t.bytes() < t.expectedSize()) {
            throw new IOException("download of " + f.source() + " ended early at " + mib(t.bytes()) + " of "
                    + mib(t.expectedSize()) + " MiB; run the same pull again to resume from there");
        }
        if (t.expectedSize() >= 0 && t.bytes() > t.expectedSize()) {
            Files.deleteIfExists(part);
            throw new IOException("download of " + f.source() + " is " + t.bytes() + " bytes but the hub said "
                    + t.expectedSize() + "; the partial file was deleted; run the same pull again");
        }
        if (t.expectedSha256() != null && !t.expectedSha256().equals(t.sha256())) {
            Files.deleteIfExists(part);
            throw new IOException("checksum mismatch for " + f.source() + ": the hub says sha256 "
                    + t.expectedSha256() + " but the downloaded file has " + t.sha256()
                    + "; the download was deleted; run the same pull again, and if it fails again the copy on this "
                    + "hub is damaged: pull it from the other hub instead");
        }
        if (f.file().toLowerCase(Locale.ROOT).endsWith(".gguf") && !startsWithGgufMagic(part)) {
            // With no checksum from the hub, an error page from a proxy or captive portal would otherwise pass.
            Files.deleteIfExists(part);
            throw new IOException(f.source() + " downloaded but is not a GGUF file (a proxy or login page may "
                    + "have answered instead of the hub); the download was deleted");
        }
        if (t.expectedSha256() == null) {
            log.info("{} came without a checksum from its hub; only its size was checked", f.source());
        }
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
        return new PulledModel(name, target, t.bytes(), t.sha256(), f.source());
    }

    private static void lock(FileChannel ch, Path part) throws IOException {
        FileLock lock = null;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            // held within this process: the same answer as another process holding it
        }
        if (lock == null) {
            throw new IOException("another pull is already writing " + part + "; wait for it to finish");
        }
    }

    private static void release(InputStream body) {
        try {
            body.close();
        } catch (IOException e) {
            // the response is abandoned either way; the failure that led here is the one to report
        }
    }

    private static void checkSpace(Path part, long needed) throws IOException {
        long free = Files.getFileStore(part).getUsableSpace();
        if (needed > 0 && free < needed) {
            throw new IOException("not enough disk space for " + part.getFileName() + ": it needs " + mib(needed)
                    + " MiB more and " + part.getParent() + " has " + mib(free) + " MiB free");
        }
    }

    private static boolean startsWithGgufMagic(Path file) throws IOException {
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(magic, 0, 4) == 4 && new String(magic, StandardCharsets.US_ASCII).equals("GGUF");
        }
    }

    private static void hash(FileChannel ch, long length, MessageDigest digest) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(BUFFER);
        long pos = 0;
        while (pos < length) {
            buf.clear().limit((int) Math.min(BUFFER, length - pos));
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("the partial download shrank while it was being read");
            }
            pos += n;
            digest.update(buf.flip());
        }
    }

    static String sha256Of(Path file) throws IOException {
        MessageDigest digest = sha256();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            hash(ch, ch.size(), digest);
        }
        return hex(digest);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private static String hex(MessageDigest digest) {
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / MIB);
    }
}
