// The record of a compressed model, kept beside it as OUT.gguf.record.json: its parent (file and sha256), the
// method, its own hash and size, and the fidelity `puhui eval` measured. The GGUF itself stays byte-identical to
// llama-quantize's output (unless --embed-record), so the record lives next to it and names it by hash.
package io.puhui.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.puhui.engine.gguf.MetaValue;
import io.puhui.engine.quant.MixPlanner;
import io.puhui.server.api.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

final class CompressionRecord {
    static final String FORMAT = "puhui.compress/1";

    private final ObjectNode json;

    private CompressionRecord(ObjectNode json) {
        this.json = json;
    }

    static Path pathFor(Path model) {
        return model.resolveSibling(model.getFileName() + ".record.json");
    }

    /** Begins a record: the parent's identity and the method. */
    static CompressionRecord start(Path parent, String parentSha256, String method, Path imatrix)
            throws IOException {
        ObjectNode j = Json.MAPPER.createObjectNode();
        j.put("record", FORMAT);
        ObjectNode p = j.putObject("parent");
        p.put("file", parent.getFileName().toString());
        p.put("bytes", Files.size(parent));
        p.put("sha256", parentSha256);
        ObjectNode m = j.putObject("method");
        m.put("type", method);
        if (imatrix != null) {
            ObjectNode im = m.putObject("imatrix");
            im.put("file", imatrix.getFileName().toString());
            im.put("sha256", FileHashes.sha256(imatrix));
        }
        m.put("tool", "puhui " + Main.version());
        return new CompressionRecord(j);
    }

    ObjectNode method() {
        return (ObjectNode) json.get("method");
    }

    /** The record as GGUF metadata, for --embed-record. */
    Map<String, MetaValue> metadata() {
        Map<String, MetaValue> m = new LinkedHashMap<>();
        m.put("puhui.parent.file", MetaValue.string(json.at("/parent/file").asText()));
        m.put("puhui.parent.sha256", MetaValue.string(json.at("/parent/sha256").asText()));
        m.put("puhui.method", MetaValue.string(json.at("/method").toString()));
        return m;
    }

    /** Completes the record with the written file's identity and tensor types, and saves it beside the file. */
    void finish(Path output, String outputSha256, List<MixPlanner.Planned> plan) throws IOException {
        json.put("file", output.getFileName().toString());
        json.put("bytes", Files.size(output));
        json.put("sha256", outputSha256);
        json.put("created", Instant.now().toString());
        Map<String, Integer> types = new TreeMap<>();
        for (MixPlanner.Planned p : plan) {
            types.merge(p.type().name(), 1, Integer::sum);
        }
        ObjectNode t = json.putObject("tensors");
        types.forEach(t::put);
        json.putNull("fidelity");
        save(pathFor(output), json);
    }

    /** Stores an evaluation's figures in the record of {@code model}, if it has one; returns whether it did. */
    static boolean addFidelity(Path model, JsonNode fidelity) throws IOException {
        Path p = pathFor(model);
        if (!Files.isRegularFile(p)) {
            return false;
        }
        ObjectNode j = (ObjectNode) Json.MAPPER.readTree(p.toFile());
        j.set("fidelity", fidelity);
        save(p, j);
        return true;
    }

    /** What the registry keeps of a record: the file's own sha256 and its lineage. */
    record Summary(String sha256, io.puhui.server.store.ModelRecords.Lineage lineage) {
    }

    /**
     * The record beside {@code model}, if there is one and it describes this file (same size), else null. A
     * record that does not parse is ignored rather than blocking the import.
     */
    static Summary summary(Path model) throws IOException {
        Path p = pathFor(model);
        if (!Files.isRegularFile(p)) {
            return null;
        }
        JsonNode j;
        try {
            j = Json.MAPPER.readTree(p.toFile());
        } catch (IOException unreadable) {
            return null;
        }
        if (!FORMAT.equals(j.path("record").asText()) || j.path("bytes").asLong(-1) != Files.size(model)
                || !j.path("parent").path("sha256").isTextual()) {
            return null;
        }
        JsonNode m = j.path("method");
        String method = m.path("type").asText() + (m.has("imatrix") ? "+imatrix" : "");
        JsonNode f = j.path("fidelity");
        double kl = f.isObject() && f.has("kl_mean") ? f.get("kl_mean").asDouble() : Double.NaN;
        double top1 = f.isObject() && f.has("top1_agreement") ? f.get("top1_agreement").asDouble() : Double.NaN;
        return new Summary(j.path("sha256").asText(null), new io.puhui.server.store.ModelRecords.Lineage(
                j.at("/parent/sha256").asText(), method, kl, top1));
    }

    private static void save(Path p, JsonNode j) throws IOException {
        Path tmp = p.resolveSibling(p.getFileName() + ".part");
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), j);
        Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
