// The OpenAI wire shapes of completions, whole and streamed: chat.completion(.chunk) and text_completion.
package io.puhui.server.worker;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.puhui.engine.generate.GenerationResult;
import io.puhui.engine.generate.TokenEvent;
import io.puhui.engine.sampling.SampledToken;
import io.puhui.engine.tokenizer.Tokenizer;
import io.puhui.server.api.Json;
import java.nio.charset.StandardCharsets;
import java.util.List;

final class Responses {
    static final String FINGERPRINT = "puhui";

    private final Tokenizer tokenizer;

    Responses(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** The whole answer: one choice per result, each with the token events it produced. */
    ObjectNode whole(CompletionJob job, String id, long created, List<GenerationResult> results,
                     List<List<TokenEvent>> events) {
        ObjectNode root = head(job, id, created, job.kind().object);
        ArrayNode choices = root.putArray("choices");
        for (int i = 0; i < results.size(); i++) {
            GenerationResult r = results.get(i);
            ObjectNode choice = choices.addObject();
            choice.put("index", i);
            String text = job.echo() ? job.promptText() + r.text() : r.text();
            if (job.kind() == CompletionJob.Kind.CHAT) {
                ObjectNode m = choice.putObject("message");
                m.put("role", "assistant");
                m.put("content", text);
                m.putNull("refusal");
                if (job.logprobs()) {
                    ArrayNode content = choice.putObject("logprobs").putArray("content");
                    for (TokenEvent e : events.get(i)) {
                        if (e.token() >= 0) {
                            content.add(chatLogprob(e));
                        }
                    }
                } else {
                    choice.putNull("logprobs");
                }
            } else {
                choice.put("text", text);
                if (job.logprobs()) {
                    choice.set("logprobs", textLogprobs(events.get(i), job.echo() ? job.promptText().length() : 0));
                } else {
                    choice.putNull("logprobs");
                }
            }
            choice.put("finish_reason", r.finishReason().openAiName);
        }
        usage(root, results);
        return root;
    }

    /** A streamed piece: a delta of text (possibly empty when only logprobs travel), no finish reason yet. */
    String chunk(CompletionJob job, String id, long created, int index, String text, List<TokenEvent> tokens,
                 boolean first) {
        ObjectNode root = head(job, id, created, chunkObject(job));
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", index);
        if (job.kind() == CompletionJob.Kind.CHAT) {
            ObjectNode delta = choice.putObject("delta");
            if (first) {
                delta.put("role", "assistant");
            }
            delta.put("content", text);
            if (job.logprobs() && !tokens.isEmpty()) {
                ArrayNode content = choice.putObject("logprobs").putArray("content");
                for (TokenEvent e : tokens) {
                    content.add(chatLogprob(e));
                }
            } else {
                choice.putNull("logprobs");
            }
        } else {
            choice.put("text", text);
            if (job.logprobs() && !tokens.isEmpty()) {
                choice.set("logprobs", textLogprobs(tokens, 0));
            } else {
                choice.putNull("logprobs");
            }
        }
        choice.putNull("finish_reason");
        if (job.includeUsage()) {
            root.putNull("usage");
        }
        return Json.write(root);
    }

    String finalChunk(CompletionJob job, String id, long created, int index, GenerationResult r) {
        ObjectNode root = head(job, id, created, chunkObject(job));
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", index);
        if (job.kind() == CompletionJob.Kind.CHAT) {
            choice.putObject("delta");
        } else {
            choice.put("text", "");
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", r.finishReason().openAiName);
        if (job.includeUsage()) {
            root.putNull("usage");
        }
        return Json.write(root);
    }

    String usageChunk(CompletionJob job, String id, long created, List<GenerationResult> results) {
        ObjectNode root = head(job, id, created, chunkObject(job));
        root.putArray("choices");
        usage(root, results);
        return Json.write(root);
    }

    private static String chunkObject(CompletionJob job) {
        return job.kind() == CompletionJob.Kind.CHAT ? "chat.completion.chunk" : "text_completion";
    }

    private static ObjectNode head(CompletionJob job, String id, long created, String object) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("id", id);
        root.put("object", object);
        root.put("created", created);
        root.put("model", job.model());
        root.put("system_fingerprint", FINGERPRINT);
        return root;
    }

    /** The prompt counts once however many choices were made from it; completions add up. */
    static int promptTokens(List<GenerationResult> results) {
        return results.getFirst().promptTokens();
    }

    static int completionTokens(List<GenerationResult> results) {
        int c = 0;
        for (GenerationResult r : results) {
            c += r.completionTokens();
        }
        return c;
    }

    private static void usage(ObjectNode root, List<GenerationResult> results) {
        ObjectNode u = root.putObject("usage");
        u.put("prompt_tokens", promptTokens(results));
        u.put("completion_tokens", completionTokens(results));
        u.put("total_tokens", promptTokens(results) + completionTokens(results));
    }

    private ObjectNode chatLogprob(TokenEvent e) {
        ObjectNode o = tokenEntry(e.token(), e.logprob());
        ArrayNode top = o.putArray("top_logprobs");
        for (SampledToken.Candidate c : e.top()) {
            top.add(tokenEntry(c.id(), c.logprob()));
        }
        return o;
    }

    private ObjectNode tokenEntry(int token, float logprob) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        byte[] bytes = tokenizer.tokenBytes(token);
        o.put("token", new String(bytes, StandardCharsets.UTF_8));
        o.put("logprob", logprob);
        ArrayNode b = o.putArray("bytes");
        for (byte x : bytes) {
            b.add(x & 0xFF);
        }
        return o;
    }

    private ObjectNode textLogprobs(List<TokenEvent> events, int offset) {
        ObjectNode lp = Json.MAPPER.createObjectNode();
        ArrayNode tokens = lp.putArray("tokens");
        ArrayNode logprobs = lp.putArray("token_logprobs");
        ArrayNode tops = lp.putArray("top_logprobs");
        ArrayNode offsets = lp.putArray("text_offset");
        int at = offset;
        for (TokenEvent e : events) {
            if (e.token() < 0) {
                continue;
            }
            String piece = new String(tokenizer.tokenBytes(e.token()), StandardCharsets.UTF_8);
            tokens.add(piece);
            logprobs.add(e.logprob());
            ObjectNode top = tops.addObject();
            for (SampledToken.Candidate c : e.top()) {
                top.put(new String(tokenizer.tokenBytes(c.id()), StandardCharsets.UTF_8), c.logprob());
            }
            offsets.add(at);
            at += piece.length();
        }
        return lp;
    }
}
