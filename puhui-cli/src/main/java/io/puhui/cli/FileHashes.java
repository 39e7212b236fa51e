// SHA-256 of model files, remembered per (path, size, modification time) under $PUHUI_HOME/cache/sha256, so
// making several variants of one parent hashes it once, and computed on a thread of its own so that the
// first time overlaps with the work that needs it.
package io.puhui.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;

final class FileHashes {
    private FileHashes() {
    }

    static CompletableFuture<String> sha256Async(Path file) {
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(sha256(file));
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "hash " + file.getFileName());
        t.setDaemon(true);
        t.start();
        return f;
    }

    static String join(CompletableFuture<String> f) throws IOException {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            throw e;
        }
    }

    /** The file's SHA-256, from the cache when the file has not changed since it was hashed. */
    static String sha256(Path file) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        String key = hex(digest().digest((abs + "\n" + Files.size(abs) + "\n"
                + Files.getLastModifiedTime(abs).toMillis()).getBytes(StandardCharsets.UTF_8)));
        Path cached = PuhuiHome.resolve().resolve("cache/sha256").resolve(key);
        if (Files.isRegularFile(cached)) {
            String v = Files.readString(cached).trim();
            if (v.matches("[0-9a-f]{64}")) {
                return v;
            }
        }
        String v = CompressionRecord.sha256(abs);
        try {
            Files.createDirectories(cached.getParent());
            Path tmp = Files.createTempFile(cached.getParent(), key, ".part");
            Files.writeString(tmp, v + "\n");
            Files.move(tmp, cached, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException notWritable) {
            // a read-only home only costs the next run a rehash
        }
        return v;
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
