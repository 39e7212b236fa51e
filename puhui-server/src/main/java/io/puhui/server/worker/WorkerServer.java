// `puhui worker`: one model, the engine's continuous batching, and the OpenAI API on a loopback port. The node
// agent starts one per loaded model; restarting the process is how a model is unloaded.
package io.puhui.server.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.puhui.engine.chat.ChatTemplate;
import io.puhui.engine.generate.BatchGenerator;
import io.puhui.engine.generate.GenerationResult;
import io.puhui.engine.generate.TokenEvent;
import io.puhui.engine.model.Model;
import io.puhui.engine.sampling.TokenConstraint;
import io.puhui.engine.tensor.ThreadTeam;
import io.puhui.engine.tokenizer.Tokenizer;
import io.puhui.server.api.ApiException;
import io.puhui.server.api.HangUps;
import io.puhui.server.api.HttpErrors;
import io.puhui.server.api.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

public final class WorkerServer implements AutoCloseable {
    /** The SSE comment line by which a worker reports a stream's token counts (clients ignore comments). */
    public static final String USAGE_COMMENT = ": usage ";
    private final WorkerConfig config;
    private final Model model;
    private final ThreadTeam team;
    private final BatchGenerator batch;
    private final RequestReader reader;
    private final Responses responses;
    private final SlotQueue queue;
    private final Javalin app;
    private final long created = Instant.now().getEpochSecond();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong generatedTokens = new AtomicLong();
    /** Streams whose client left (or whose answer the gateway cut) before they ended; their generation stopped. */
    private final AtomicLong cancelled = new AtomicLong();

    private WorkerServer(WorkerConfig config) throws IOException {
        this.config = config;
        this.model = Model.load(config.modelPath());
        this.team = new ThreadTeam(config.threads());
        Tokenizer tokenizer = Tokenizer.fromMetadata(model.metadata());
        int ctx = Math.min(config.contextLength(), model.config().trainedContextLength());
        model.warmUp(team);
        this.batch = new BatchGenerator(model, tokenizer, team, config.slots(), ctx);
        this.reader = new RequestReader(config.modelName(), tokenizer, ChatTemplate.fromMetadata(model.metadata()),
                ctx);
        this.responses = new Responses(tokenizer);
        this.queue = new SlotQueue(config.slots(), config.queueLimit());
        this.app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.concurrency.useVirtualThreads = true;
            c.http.maxRequestSize = config.maxBodyBytes();
            c.jetty.host = config.host();
            c.jetty.port = config.port();
            HttpErrors.install(c, config.maxBodyBytes());
            c.routes.get("/health", this::health);
            c.routes.get("/v1/models", ctx2 -> json(ctx2, modelList()));
            c.routes.get("/v1/models/{id}", ctx2 -> {
                if (!ctx2.pathParam("id").equals(config.modelName())) {
                    throw ApiException.notFound("model_not_found", "the model '" + ctx2.pathParam("id")
                            + "' does not exist here");
                }
                json(ctx2, modelEntry());
            });
            c.routes.post("/v1/chat/completions", ctx2 -> complete(ctx2, CompletionJob.Kind.CHAT));
            c.routes.post("/v1/completions", ctx2 -> complete(ctx2, CompletionJob.Kind.TEXT));
        });
    }

    /** Loads the model, warms it up and starts listening. */
    public static WorkerServer start(WorkerConfig config) throws IOException {
        WorkerServer w = new WorkerServer(config);
        w.app.start();
        return w;
    }

    public int port() {
        return app.port();
    }

    public int contextLength() {
        return batch.contextLength();
    }

    private void health(Context ctx) {
        ObjectNode h = Json.MAPPER.createObjectNode();
        h.put("status", "ok");
        h.put("model", config.modelName());
        h.put("slots", config.slots());
        h.put("busy", queue.busy());
        h.put("queued", queue.waiting());
        h.put("context_length", batch.contextLength());
        h.put("completed", completed.get());
        h.put("generated_tokens", generatedTokens.get());
        h.put("cancelled", cancelled.get());
        h.put("memory_bytes", Runtime.getRuntime().totalMemory() + model.file().fileSize());
        json(ctx, h);
    }

    private ObjectNode modelList() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        data.add(modelEntry());
        return root;
    }

    private ObjectNode modelEntry() {
        ObjectNode m = Json.MAPPER.createObjectNode();
        m.put("id", config.modelName());
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "puhui");
        return m;
    }

    private static void json(Context ctx, JsonNode node) {
        ctx.contentType("application/json").result(Json.write(node));
    }

    /** An event of choice {@code index}: a TokenEvent, its GenerationResult, or the Throwable that ended it. */
    private record Tagged(int index, Object event) {
    }

    /** The client of a whole answer hung up. */
    private static final Tagged HUNG_UP = new Tagged(-1, "hung up");

    private void complete(Context ctx, CompletionJob.Kind kind) throws Exception {
        JsonNode body = Json.parseBody(ctx.bodyAsBytes());
        CompletionJob job = reader.read(body, kind);
        String tenant = ctx.header("x-puhui-tenant");
        String id = kind.idPrefix + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        long createdAt = Instant.now().getEpochSecond();
        int n = job.n();
        try (SlotQueue.Slot slot = queue.acquire(tenant == null ? "" : tenant, config.maxQueueWaitMillis(), n)) {
            LinkedBlockingQueue<Tagged> events = new LinkedBlockingQueue<>();
            AtomicBoolean gone = new AtomicBoolean();
            List<BatchGenerator.Sequence> seqs = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int index = i;
                TokenConstraint constraint = job.constraint() == null ? null : job.constraint().get();
                BatchGenerator.Sequence seq = batch.submit(job.prompt(), job.optionsOf(i), constraint, e -> {
                    events.add(new Tagged(index, e));
                    return !gone.get();
                });
                seq.result().whenComplete((r, err) -> events.add(new Tagged(index, r != null ? r : err)));
                seqs.add(seq);
            }
            List<GenerationResult> results = job.stream() ? stream(ctx, job, id, createdAt, events, seqs, gone)
                    : whole(ctx, job, id, createdAt, events, seqs);
            if (results != null) {
                completed.incrementAndGet();
                generatedTokens.addAndGet(Responses.completionTokens(results));
            }
        }
    }

    private List<GenerationResult> whole(Context ctx, CompletionJob job, String id, long createdAt,
                                         LinkedBlockingQueue<Tagged> events, List<BatchGenerator.Sequence> seqs)
            throws Exception {
        int n = seqs.size();
        List<List<TokenEvent>> tokens = new ArrayList<>(n);
        GenerationResult[] results = new GenerationResult[n];
        for (int i = 0; i < n; i++) {
            tokens.add(new ArrayList<>());
        }
        int done = 0;
        // nothing is written until the end, so a client that hangs up is only seen by watching its socket
        try (HangUps.Watch watch = HangUps.get().watch(ctx, () -> events.add(HUNG_UP))) {
            while (done < n) {
                Tagged t = events.take();
                if (t == HUNG_UP) {
                    cancelAll(seqs);
                    cancelled.incrementAndGet();
                    return null;
                } else if (t.event() instanceof TokenEvent e) {
                    tokens.get(t.index()).add(e);
                } else if (t.event() instanceof GenerationResult r) {
                    results[t.index()] = r;
                    done++;
                } else {
                    cancelAll(seqs);
                    throw failure((Throwable) t.event());
                }
            }
            if (watch.readAhead()) {
                ctx.header("Connection", "close");
            }
        }
        List<GenerationResult> all = List.of(results);
        json(ctx, responses.whole(job, id, createdAt, all, tokens));
        return all;
    }

    private List<GenerationResult> stream(Context ctx, CompletionJob job, String id, long createdAt,
                                          LinkedBlockingQueue<Tagged> events, List<BatchGenerator.Sequence> seqs,
                                          AtomicBoolean gone) throws Exception {
        ctx.status(200);
        var res = ctx.res();
        res.setContentType("text/event-stream; charset=utf-8");
        res.setHeader("Cache-Control", "no-cache");
        res.setHeader("X-Accel-Buffering", "no");
        OutputStream out = res.getOutputStream();
        int n = seqs.size();
        boolean[] first = new boolean[n];
        java.util.Arrays.fill(first, true);
        GenerationResult[] results = new GenerationResult[n];
        int done = 0;
        try {
            List<Tagged> drained = new ArrayList<>();
            while (true) {
                drained.clear();
                drained.add(events.take());
                events.drainTo(drained); // tokens that piled up while we wrote go out in one write
                StringBuilder frames = new StringBuilder();
                for (Tagged t : drained) {
                    int i = t.index();
                    if (t.event() instanceof TokenEvent e) {
                        if (!e.text().isEmpty() || (job.logprobs() && e.token() >= 0) || first[i]) {
                            List<TokenEvent> lp = e.token() >= 0 ? List.of(e) : List.of();
                            frame(frames, responses.chunk(job, id, createdAt, i, e.text(), lp, first[i]));
                            first[i] = false;
                        }
                    } else if (t.event() instanceof GenerationResult r) {
                        if (first[i]) {
                            frame(frames, responses.chunk(job, id, createdAt, i, "", List.of(), true));
                            first[i] = false;
                        }
                        frame(frames, responses.finalChunk(job, id, createdAt, i, r));
                        results[i] = r;
                        done++;
                    } else {
                        cancelAll(seqs);
                        ApiException e = failure((Throwable) t.event());
                        frame(frames, Json.write(e.toJson(Json.MAPPER)));
                        out.write(frames.toString().getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        return null;
                    }
                }
                List<GenerationResult> all = null;
                if (done == n) {
                    all = List.of(results);
                    if (job.includeUsage()) {
                        frame(frames, responses.usageChunk(job, id, createdAt, all));
                    }
                    // token counts for the gateway's usage records, as an SSE comment that clients skip
                    frames.append(USAGE_COMMENT).append("{\"prompt_tokens\":").append(Responses.promptTokens(all))
                            .append(",\"completion_tokens\":").append(Responses.completionTokens(all)).append("}\n\n");
                    frames.append("data: [DONE]\n\n");
                }
                out.write(frames.toString().getBytes(StandardCharsets.UTF_8));
                out.flush();
                if (all != null) {
                    return all;
                }
            }
        } catch (IOException clientGone) {
            gone.set(true);
            cancelAll(seqs);
            cancelled.incrementAndGet();
            return null;
        }
    }

    /**
     * Stops the sequences and waits until the generator has let them go (at its next step): the request's slot
     * goes to the next request only when the generator has room for it.
     */
    private static void cancelAll(List<BatchGenerator.Sequence> seqs) {
        seqs.forEach(BatchGenerator.Sequence::cancel);
        for (BatchGenerator.Sequence s : seqs) {
            try {
                s.result().get(1, TimeUnit.MINUTES);
            } catch (ExecutionException | TimeoutException ignored) {
                // ended by a failure, or a step that takes a minute: the slot is left to the queue's accounting
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void frame(StringBuilder sb, String json) {
        sb.append("data: ").append(json).append("\n\n");
    }

    private static ApiException failure(Throwable t) {
        Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null
                ? t.getCause() : t;
        if (cause instanceof ApiException a) {
            return a;
        }
        return ApiException.internal("generation failed: " + cause);
    }

    @Override
    public void close() {
        app.stop();
        batch.close();
        team.close();
        model.close();
    }
}
