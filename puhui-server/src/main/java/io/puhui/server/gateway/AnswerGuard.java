// The output side of the compliance stage: every answer to a client passes through here, whichever instance
// produced it. A streamed answer is checked event by event as it grows; a whole answer when it is complete.
// Both get the visible label and the AIGC metadata. When the check blocks, the client's stream ends with a chunk
// that says the rest was withheld (finish_reason content_filter), and writing fails as if the client had left,
// so the relay closes the upstream and the instance stops generating.
package io.puhui.server.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.puhui.server.api.Json;
import io.puhui.server.compliance.Labels;
import io.puhui.server.safety.Hit;
import io.puhui.server.safety.SafetyEngine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

final class AnswerGuard extends OutputStream {
    /** Thrown to the relay when the answer was withheld: the relay ends the upstream as for a client that left. */
    static final class Withheld extends IOException {
        Withheld() {
            super("the answer was withheld by the content-safety check");
        }
    }

    /** Text kept per choice for the audit record and the content digest. */
    private static final int KEEP_CHARS = 256 * 1024;

    /** The client's stream, opened on first use (an error answered before any output uses it otherwise). */
    interface Sink {
        OutputStream open() throws IOException;
    }

    private final Sink sinkOf;
    private OutputStream sink;
    private final Supplier<String> contentType;
    private final IntSupplier status;
    private final Labels labels;
    private final Supplier<SafetyEngine.Scanner> scanners;
    private final String produceId;
    private final String requestId;
    private final boolean label;

    private Boolean sse;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final Map<Integer, SafetyEngine.Scanner> scannerOf = new TreeMap<>();
    private final Map<Integer, StringBuilder> textOf = new TreeMap<>();
    private final Set<Integer> labelled = new LinkedHashSet<>();
    private final List<Hit> hits = new ArrayList<>();
    private ObjectNode template;
    private JsonNode upstreamAigc;
    private Hit withheld;
    private boolean finished;
    private boolean aigcSent;

    /**
     * @param label whether the visible notice is added (the AIGC metadata always is)
     */
    AnswerGuard(Sink sink, Supplier<String> contentType, IntSupplier status, Labels labels,
                Supplier<SafetyEngine.Scanner> scanners, String produceId, String requestId, boolean label) {
        this.sinkOf = sink;
        this.contentType = contentType;
        this.status = status;
        this.labels = labels;
        this.scanners = scanners;
        this.produceId = produceId;
        this.requestId = requestId;
        this.label = label;
    }

    /** What the output check found (blocking or not). */
    List<Hit> hits() {
        return hits;
    }

    /** The hit that withheld the answer, or null. */
    Hit withheld() {
        return withheld;
    }

    /** The generated text (each choice's, in order), as far as it went. */
    String text() {
        StringBuilder sb = new StringBuilder();
        textOf.values().forEach(t -> sb.append(sb.isEmpty() ? "" : "\n\n").append(t));
        return sb.toString();
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (withheld != null) {
            throw new Withheld();
        }
        if (sse == null) {
            sink = sinkOf.open();
            String type = contentType.get();
            sse = type != null && type.startsWith("text/event-stream");
        }
        pending.write(b, off, len);
        if (sse) {
            drainEvents();
        }
    }

    @Override
    public void flush() throws IOException {
        if (Boolean.TRUE.equals(sse)) {
            sink.flush();
        }
    }

    /** Drops the bytes of an event that will not be completed (its upstream was cut); none of it was sent. */
    void discardPartialEvent() {
        if (Boolean.TRUE.equals(sse)) {
            pending.reset();
        }
    }

    /** Writes what is still held: a whole answer, checked and labelled, or the rest of a stream. */
    void finish() throws IOException {
        if (finished) {
            return;
        }
        finished = true;
        if (pending.size() == 0) {
            return;
        }
        byte[] all = pending.toByteArray();
        pending.reset();
        if (Boolean.TRUE.equals(sse)) {
            sink.write(all);
        } else {
            sink.write(whole(all));
        }
        sink.flush();
    }

    private void drainEvents() throws IOException {
        byte[] buf = pending.toByteArray();
        int start = 0;
        for (int i = 0; i + 1 < buf.length; i++) {
            if (buf[i] == '\n' && buf[i + 1] == '\n') {
                event(new String(buf, start, i + 2 - start, StandardCharsets.UTF_8));
                start = i + 2;
                i++;
                if (withheld != null) {
                    pending.reset();
                    throw new Withheld();
                }
            }
        }
        pending.reset();
        pending.write(buf, start, buf.length - start);
    }

    private void send(String event) throws IOException {
        sink.write(event.getBytes(StandardCharsets.UTF_8));
    }

    private void event(String ev) throws IOException {
        if (ev.startsWith("data: [DONE]")) {
            tail();
            send(ev);
            return;
        }
        if (!ev.startsWith("data: {")) {
            send(ev); // comments, named events, errors
            return;
        }
        ObjectNode chunk;
        try {
            chunk = (ObjectNode) Json.MAPPER.readTree(ev.substring(6));
        } catch (IOException | ClassCastException notAChunk) {
            send(ev);
            return;
        }
        if (chunk.has("aigc")) {
            upstreamAigc = chunk.remove("aigc");
            if (chunk.path("choices").isEmpty() && !chunk.hasNonNull("usage")) {
                return; // the upstream's own label chunk: this service sends its own
            }
            ev = "data: " + Json.write(chunk) + "\n\n";
        }
        if (template == null) {
            template = Json.MAPPER.createObjectNode();
            for (String f : new String[] {"id", "object", "created", "model"}) {
                if (chunk.has(f)) {
                    template.set(f, chunk.get(f));
                }
            }
        }
        boolean chat = chunk.path("object").asText().startsWith("chat");
        List<String> before = new ArrayList<>();
        List<String> after = new ArrayList<>();
        for (JsonNode c : chunk.path("choices")) {
            int index = c.path("index").asInt();
            String text = chat ? c.path("delta").path("content").asText("") : c.path("text").asText("");
            boolean first = !scannerOf.containsKey(index);
            SafetyEngine.Scanner scanner = scannerOf.computeIfAbsent(index, i -> scanners.get());
            if (first && label && labels.position() == Labels.Position.PREFIX) {
                after.add(piece(index, chat, labels.explicitPiece(), null));
                labelled.add(index);
            }
            if (!text.isEmpty()) {
                keep(index, text);
                for (Hit h : scanner.feed(text)) {
                    hits.add(h);
                    if (h.blocks() && withheld == null) {
                        withheld = h;
                    }
                }
                if (withheld != null) {
                    // this event is not sent: the stream ends here, its last chunk carrying the AIGC metadata
                    send(withAigc(piece(index, chat, labels.withheld(), "content_filter")));
                    send("data: [DONE]\n\n");
                    sink.flush();
                    return;
                }
            }
            if (c.hasNonNull("finish_reason") && label && labels.position() == Labels.Position.SUFFIX
                    && !labelled.contains(index) && !textOf.getOrDefault(index, new StringBuilder()).toString()
                    .contains(labels.explicitText())) {
                before.add(piece(index, chat, labels.explicitPiece(), null));
                labelled.add(index);
            }
        }
        for (String b : before) {
            send(b);
        }
        boolean finishing = false;
        for (JsonNode c : chunk.path("choices")) {
            finishing |= c.hasNonNull("finish_reason");
        }
        if (finishing) {
            // a choice's last chunk carries the AIGC metadata (clients that did not ask for usage get no chunk
            // without choices, which some of them cannot read)
            chunk.set("aigc", labels.aigc(produceId, requestId, digest(), upstreamAigc));
            aigcSent = true;
            ev = "data: " + Json.write(chunk) + "\n\n";
        }
        send(ev);
        for (String a : after) {
            send(a);
        }
    }

    /** Before {@code [DONE]}: the AIGC metadata, in a chunk of its own if no choice's last chunk carried it. */
    private void tail() throws IOException {
        if (aigcSent || template == null) {
            return;
        }
        aigcSent = true;
        ObjectNode last = template.deepCopy();
        last.putArray("choices");
        last.set("aigc", labels.aigc(produceId, requestId, digest(), upstreamAigc));
        send("data: " + Json.write(last) + "\n\n");
    }

    private String withAigc(String event) throws IOException {
        ObjectNode o = (ObjectNode) Json.MAPPER.readTree(event.substring(6));
        o.set("aigc", labels.aigc(produceId, requestId, digest(), upstreamAigc));
        aigcSent = true;
        return "data: " + Json.write(o) + "\n\n";
    }

    private String piece(int index, boolean chat, String text, String finish) {
        ObjectNode o = template.deepCopy();
        ObjectNode c = o.putArray("choices").addObject().put("index", index);
        if (chat) {
            c.putObject("delta").put("content", text);
        } else {
            c.put("text", text);
        }
        c.putNull("logprobs");
        if (finish == null) {
            c.putNull("finish_reason");
        } else {
            c.put("finish_reason", finish);
        }
        return "data: " + Json.write(o) + "\n\n";
    }

    private void keep(int index, String text) {
        StringBuilder sb = textOf.computeIfAbsent(index, i -> new StringBuilder());
        if (sb.length() < KEEP_CHARS) {
            sb.append(text, 0, Math.min(text.length(), KEEP_CHARS - sb.length()));
        }
    }

    /** A whole (non-streamed) answer: each choice checked, then labelled; errors pass as they are. */
    private byte[] whole(byte[] all) {
        if (status.getAsInt() != 200) {
            return all;
        }
        ObjectNode root;
        try {
            root = (ObjectNode) Json.MAPPER.readTree(all);
        } catch (IOException | ClassCastException notJson) {
            return all;
        }
        if (!root.path("choices").isArray()) {
            return all;
        }
        upstreamAigc = root.remove("aigc");
        for (JsonNode c : root.path("choices")) {
            ObjectNode choice = (ObjectNode) c;
            int index = choice.path("index").asInt();
            boolean chat = choice.has("message");
            JsonNode t = chat ? choice.path("message").path("content") : choice.path("text");
            if (!t.isTextual()) {
                continue;
            }
            String text = t.asText();
            keep(index, text);
            Hit block = null;
            for (Hit h : scanners.get().feed(text)) {
                hits.add(h);
                if (h.blocks() && block == null) {
                    block = h;
                }
            }
            String out;
            if (block != null) {
                if (withheld == null) {
                    withheld = block;
                }
                out = labels.withheld();
                choice.put("finish_reason", "content_filter");
            } else {
                out = label ? labels.withExplicit(text) : text;
            }
            if (chat) {
                ((ObjectNode) choice.get("message")).put("content", out);
            } else {
                choice.put("text", out);
            }
        }
        root.set("aigc", labels.aigc(produceId, requestId, digest(), upstreamAigc));
        return Json.write(root).getBytes(StandardCharsets.UTF_8);
    }

    /** ReservedCode1: the first 128 bits of the SHA-256 of the generated text. */
    private String digest() {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text().getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The refusal of a request the input check blocked, in the shape the client asked for. */
    static byte[] refusal(Labels labels, boolean chat, boolean stream, String model, String requestId, String produceId,
                          Hit hit) {
        long created = System.currentTimeMillis() / 1000;
        String id = (chat ? "chatcmpl-" : "cmpl-") + requestId;
        ObjectNode safety = Json.MAPPER.createObjectNode().put("action", "refused").put("stage", "input")
                .put("category", hit.category());
        ObjectNode aigc = labels.aigc(produceId, requestId, "", null);
        if (!stream) {
            ObjectNode o = Json.MAPPER.createObjectNode().put("id", id)
                    .put("object", chat ? "chat.completion" : "text_completion").put("created", created).put("model", model);
            ObjectNode c = o.putArray("choices").addObject().put("index", 0);
            if (chat) {
                c.putObject("message").put("role", "assistant").putNull("content").put("refusal", labels.refusal());
            } else {
                c.put("text", labels.refusal());
            }
            c.putNull("logprobs");
            c.put("finish_reason", chat ? "stop" : "content_filter");
            o.putObject("usage").put("prompt_tokens", 0).put("completion_tokens", 0).put("total_tokens", 0);
            o.set("safety", safety);
            o.set("aigc", aigc);
            return Json.write(o).getBytes(StandardCharsets.UTF_8);
        }
        StringBuilder sb = new StringBuilder();
        ObjectNode head = Json.MAPPER.createObjectNode().put("id", id)
                .put("object", chat ? "chat.completion.chunk" : "text_completion").put("created", created).put("model", model);
        ObjectNode first = head.deepCopy();
        ObjectNode c = first.putArray("choices").addObject().put("index", 0);
        if (chat) {
            c.putObject("delta").put("role", "assistant").put("refusal", labels.refusal());
        } else {
            c.put("text", labels.refusal());
        }
        c.putNull("logprobs");
        c.put("finish_reason", chat ? "stop" : "content_filter");
        first.set("safety", safety);
        first.set("aigc", aigc);
        sb.append("data: ").append(Json.write(first)).append("\n\n");
        sb.append("data: [DONE]\n\n");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    static ArrayNode hitsJson(List<Hit> hits) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        for (Hit h : hits) {
            a.addObject().put("category", h.category()).put("action", h.action().name().toLowerCase(Locale.ROOT))
                    .put("term", h.term()).put("source", h.source());
        }
        return a;
    }
}
