// Structured output for OpenAI's response_format: keeps a sequence to one JSON object (json_object) or to a value
// of a JSON schema (json_schema), and always leaves room to close the document before the token budget runs out.
package io.puhui.engine.sampling.json;

import com.fasterxml.jackson.databind.JsonNode;
import io.puhui.engine.sampling.TokenConstraint;
import io.puhui.engine.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * One per sequence. The output is parsed byte by byte (tokens may split UTF-8 characters); masking walks a trie of
 * the vocabulary built once per tokenizer, so a step costs the prefixes that are still possible, not the vocabulary
 * times token length.
 *
 * <p>Budget: the constraint knows the fewest bytes that finish the document from its state. A token is allowed only
 * if, after it, those bytes (one token each at worst: byte-level and byte-fallback vocabularies have a token for
 * every byte) and one end-of-generation token still fit in the remaining tokens. So any budget of at least
 * {@link #bytesToFinish()} + 1 tokens at the start ends with a complete document, whatever the model prefers.
 *
 * <p>Whitespace outside strings is limited to one blank, or a newline and an indent of up to 16 blanks, per gap,
 * and none before the document: a small model cannot loop on blanks.
 */
public final class JsonConstraint implements TokenConstraint {
    private final Tokenizer tokenizer;
    private final TokenTrie trie;
    private final List<String> ignoredKeywords;
    private final BranchSet state = new BranchSet();
    /** Walk states: levels[d] holds the readings after the trie node levelNode[d]; pathNode is the current path. */
    private final BranchSet[] levels;
    private final int[] levelNode;
    private final int[] pathNode;
    private final boolean[] allowed;
    private int allowedCount;
    private long limit;
    private byte[] written = new byte[64];
    private int writtenLength;

    // Inside a string, whole subtrees of plain text are decided at once, against the string's state at the root.
    private boolean bulk;
    /** Whether the string is the only reading, so that a subtree too costly for it may be dropped whole. */
    private boolean bulkOnly;
    private int bulkUtf8;
    private int bulkCharsLeft;
    private int bulkCharsOwed;
    private int bulkCost;
    private int bulkOwed;

    private JsonConstraint(Tokenizer tokenizer, Shape root, List<String> ignoredKeywords) {
        this.tokenizer = tokenizer;
        this.trie = TokenTrie.of(tokenizer);
        this.ignoredKeywords = ignoredKeywords;
        this.levels = new BranchSet[trie.maxDepth + 2];
        this.levelNode = new int[trie.maxDepth + 2];
        this.pathNode = new int[trie.maxDepth + 2];
        this.allowed = new boolean[trie.order.length];
        state.reset(root);
    }

    /** For {@code response_format: {"type": "json_object"}}: one JSON object, anything valid inside. */
    public static JsonConstraint object(Tokenizer tokenizer) {
        return new JsonConstraint(tokenizer, Shape.FREE_OBJECT, List.of());
    }

    /**
     * For {@code response_format: {"type": "json_schema"}}: a value of {@code schema}. Supported: type (one or a
     * list), properties and required (written in the schema's order; no other keys), additionalProperties as the
     * value schema of an object without properties, items, minItems, maxItems, enum, const, anyOf, oneOf (as anyOf),
     * allOf (merged), $ref inside the schema (recursion allowed), minLength, maxLength; {@code {}} or {@code true}
     * is any value. Keywords that restrict values but are not enforced are listed by {@link #ignoredKeywords()}.
     *
     * @throws IllegalArgumentException if the schema is malformed or admits no value
     */
    public static JsonConstraint schema(Tokenizer tokenizer, JsonNode schema) {
        SchemaCompiler compiler = new SchemaCompiler(schema);
        Shape root = compiler.compile();
        return new JsonConstraint(tokenizer, root, compiler.ignored());
    }

    /** Keywords of the schema that restrict values but are not enforced, each as "keyword at #/json/pointer". */
    public List<String> ignoredKeywords() {
        return ignoredKeywords;
    }

    /** The fewest bytes that complete the document from here (0 when it is complete). */
    public int bytesToFinish() {
        return state.complete() ? 0 : state.cost;
    }

    @Override
    public boolean complete() {
        return state.complete();
    }

    @Override
    public void mask(float[] logits, int remainingTokens) {
        boolean complete = state.complete();
        boolean endAllowed = complete;
        Arrays.fill(allowed, false);
        allowedCount = 0;
        if (state.canContinue()) {
            walk(limit(state.cost, remainingTokens, trie.endOfGeneration.length > 0));
            if (allowedCount == 0 && !complete) {
                walk(Shape.INFINITE - 1);
            }
            if (allowedCount == 0) {
                // no token of this vocabulary continues the document: ending is better than a dead end
                endAllowed = true;
            }
        }
        float off = Float.NEGATIVE_INFINITY;
        int[] order = trie.order;
        for (int k = 0; k < order.length; k++) {
            if (!allowed[k] && order[k] < logits.length) {
                logits[order[k]] = off;
            }
        }
        for (int id : trie.others) {
            if (id < logits.length) {
                logits[id] = off;
            }
        }
        if (!endAllowed) {
            for (int id : trie.endOfGeneration) {
                if (id < logits.length) {
                    logits[id] = off;
                }
            }
        }
        for (int id = trie.vocabSize; id < logits.length; id++) {
            logits[id] = off;
        }
    }

    @Override
    public void accept(int token) {
        if (token < 0 || token >= trie.vocabSize) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary of "
                    + trie.vocabSize);
        }
        if (tokenizer.isEndOfGeneration(token)) {
            return;
        }
        byte[] bytes = tokenizer.tokenBytes(token);
        BranchSet a = level(0);
        BranchSet b = level(1);
        a.copyFrom(state);
        for (byte x : bytes) {
            b.stepFrom(a, x & 0xFF);
            if (b.size == 0) {
                throw new IllegalArgumentException("token " + token + " (" + quoted(bytes) + ") cannot continue "
                        + "the JSON output after " + quoted(Arrays.copyOfRange(written,
                                Math.max(0, writtenLength - 60), writtenLength)));
            }
            BranchSet t = a;
            a = b;
            b = t;
        }
        state.copyFrom(a);
        if (writtenLength + bytes.length > written.length) {
            written = Arrays.copyOf(written, Math.max(written.length * 2, writtenLength + bytes.length));
        }
        System.arraycopy(bytes, 0, written, writtenLength, bytes.length);
        writtenLength += bytes.length;
    }

    private static String quoted(byte[] b) {
        return '"' + new String(b, StandardCharsets.UTF_8).replace("\n", "\\n") + '"';
    }

    private BranchSet level(int depth) {
        BranchSet s = levels[depth];
        if (s == null) {
            s = new BranchSet();
            levels[depth] = s;
        }
        return s;
    }

    /**
     * The most bytes a token may leave to finish the document, when {@code need} are needed now: room for the
     * closing bytes and an end token; when that is no longer possible, for the closing bytes; past that, the token
     * must at least come closer to the end.
     */
    static long limit(int need, int remainingTokens, boolean endToken) {
        long remaining = Math.max(1, remainingTokens);
        long lim = remaining - 1 - (endToken ? 1 : 0);
        if (need - 1 > lim) {
            lim = remaining - 1;
        }
        return Math.max(lim, need - 1);
    }

    /** The readings of the output so far. */
    BranchSet readings() {
        return state;
    }

    /** Marks the tokens that keep the output valid and leave at most {@code lim} bytes to finish it. */
    private void walk(long lim) {
        limit = lim;
        bulk = false;
        for (int i = 0; i < state.size && !bulk; i++) {
            Branch b = state.get(i);
            if (b.mode == Branch.STRING && b.esc == 0) {
                Shape.Str str = (Shape.Str) b.shape;
                bulk = true;
                bulkOnly = state.size == 1;
                bulkUtf8 = b.sub;
                bulkCharsLeft = str.maxChars - b.count;
                bulkCharsOwed = Math.max(0, str.minChars - b.count);
                bulkOwed = Utf8States.pending(b.sub);
                bulkCost = b.cost() - bulkOwed;
            }
        }
        level(0).copyFrom(state);
        Arrays.fill(levelNode, -1);
        levelNode[0] = 0;
        pathNode[0] = 0;
        descend(0, 0);
    }

    private void descend(int node, int depth) {
        TokenTrie t = trie;
        BranchSet next = level(depth + 1);
        for (int c = node + 1, end = t.end[node]; c < end; c = t.end[c]) {
            pathNode[depth + 1] = c;
            if (bulk) {
                if ((t.plainFrom[c] >> bulkUtf8 & 1) != 0 && t.maxCharacters[c] <= bulkCharsLeft) {
                    // Plain text stays in the string: after it the string owes at most the bytes of an unfinished
                    // character, and at least what it owed minus the characters it gave towards minLength.
                    if (bulkCost + Math.max(bulkOwed, t.maxOwed[c]) <= limit) {
                        allow(t.firstToken[c], t.lastToken(c));
                        continue;
                    }
                    if (bulkOnly && bulkCost - Math.min(bulkCharsOwed, t.maxCharacters[c]) > limit) {
                        continue;
                    }
                }
                if (bulkOnly && (t.plainPath[c] >> bulkUtf8 & 1) != 0) {
                    // Still inside the string: the state after the path is known without stepping through it.
                    int chars = t.pathCharacters[c];
                    if (chars > bulkCharsLeft) {
                        continue;
                    }
                    int exact = t.exactEnd(c);
                    if (t.firstToken[c] < exact) {
                        int owed = t.pathOwed[c] >= 0 ? t.pathOwed[c] : bulkOwed - (depth + 1);
                        if (bulkCost + owed - Math.min(bulkCharsOwed, chars) <= limit) {
                            allow(t.firstToken[c], exact);
                        }
                    }
                    if (t.hasChildren(c)) {
                        descend(c, depth + 1);
                    }
                    continue;
                }
            }
            next.stepFrom(stateAt(depth), t.label[c] & 0xFF);
            levelNode[depth + 1] = c;
            if (next.size == 0) {
                continue;
            }
            int exact = t.exactEnd(c);
            if (t.firstToken[c] < exact && next.cost <= limit) {
                allow(t.firstToken[c], exact);
            }
            if (t.hasChildren(c)) {
                descend(c, depth + 1);
            }
        }
    }

    /** The readings after the current path down to {@code depth}, stepped now if plain text was skipped over. */
    private BranchSet stateAt(int depth) {
        int k = depth;
        while (levelNode[k] != pathNode[k]) {
            k--;
        }
        for (; k < depth; k++) {
            level(k + 1).stepFrom(levels[k], trie.label[pathNode[k + 1]] & 0xFF);
            levelNode[k + 1] = pathNode[k + 1];
        }
        return levels[depth];
    }

    private void allow(int from, int to) {
        Arrays.fill(allowed, from, to, true);
        allowedCount += to - from;
    }
}
