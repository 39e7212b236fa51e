// All token byte strings of a vocabulary as one byte trie, so that masking walks shared prefixes once and drops a
// whole subtree at its first impossible byte. Built once per tokenizer and shared by all its sequences.
package io.puhui.engine.sampling.json;

import io.puhui.engine.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

final class TokenTrie {
    // Keyed weakly so that unloading a model frees its trie; values hold no reference to the tokenizer.
    private static final Map<Tokenizer, TokenTrie> CACHE = Collections.synchronizedMap(new WeakHashMap<>());

    /** Tokens that carry text, sorted by their bytes: every trie node covers a contiguous run of this order. */
    final int[] order;
    /** Tokens that add no text and do not end the generation. */
    final int[] others;
    final int[] endOfGeneration;
    final int vocabSize;
    final int maxDepth;

    // Nodes in preorder; node 0 is the root. A node's subtree is [n, end[n]).
    final int nodes;
    final byte[] label;
    final int[] end;
    /** First token (index into order) whose bytes start with the node's path. */
    final int[] firstToken;
    /**
     * Bit s set: the node's path is plain string content (no quote, backslash or control byte; well-formed UTF-8 so
     * far) when read from UTF-8 state s.
     */
    final byte[] plainPath;
    /** Bit s set: every path in the subtree is plain from state s, so the subtree can be taken whole in a string. */
    final byte[] plainFrom;
    /** Characters the node's path starts (bytes that are not UTF-8 continuations), capped. */
    final short[] pathCharacters;
    /** The most characters any path in the subtree starts. */
    final short[] maxCharacters;
    /** Continuation bytes the path owes after its last character start; -1 if it starts no character. */
    final byte[] pathOwed;
    /** The most continuation bytes any path in the subtree owes after its last character start. */
    final byte[] maxOwed;

    static TokenTrie of(Tokenizer tokenizer) {
        return CACHE.computeIfAbsent(tokenizer, TokenTrie::new);
    }

    private TokenTrie(Tokenizer tokenizer) {
        vocabSize = tokenizer.vocabSize();
        byte[][] bytes = new byte[vocabSize][];
        Integer[] withText = new Integer[vocabSize];
        int n = 0;
        int[] other = new int[vocabSize];
        int nOther = 0;
        int[] eog = new int[vocabSize];
        int nEog = 0;
        for (int id = 0; id < vocabSize; id++) {
            if (tokenizer.isEndOfGeneration(id)) {
                eog[nEog++] = id;
                continue;
            }
            byte[] b = tokenizer.tokenBytes(id);
            if (b.length == 0) {
                other[nOther++] = id;
            } else {
                bytes[id] = b;
                withText[n++] = id;
            }
        }
        Integer[] sorted = Arrays.copyOf(withText, n);
        Arrays.sort(sorted, (x, y) -> {
            int c = Arrays.compareUnsigned(bytes[x], bytes[y]);
            return c != 0 ? c : Integer.compare(x, y);
        });
        order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = sorted[i];
        }
        others = Arrays.copyOf(other, nOther);
        endOfGeneration = Arrays.copyOf(eog, nEog);

        Builder b = new Builder(n);
        for (int i = 0; i < n; i++) {
            b.add(bytes[order[i]], i);
        }
        b.finish();
        nodes = b.count;
        label = Arrays.copyOf(b.label, nodes);
        end = Arrays.copyOf(b.end, nodes);
        firstToken = Arrays.copyOf(b.first, nodes);
        plainPath = Arrays.copyOf(b.pathPlain, nodes);
        plainFrom = Arrays.copyOf(b.plain, nodes);
        pathCharacters = Arrays.copyOf(b.pathChars, nodes);
        maxCharacters = Arrays.copyOf(b.chars, nodes);
        pathOwed = Arrays.copyOf(b.pathOwed, nodes);
        maxOwed = Arrays.copyOf(b.owed, nodes);
        maxDepth = b.maxDepth;
    }

    /** End (exclusive, into order) of the tokens under node {@code n}. */
    int lastToken(int n) {
        return end[n] < nodes ? firstToken[end[n]] : order.length;
    }

    /** End (exclusive, into order) of the tokens whose bytes are exactly the node's path. */
    int exactEnd(int n) {
        return n + 1 < end[n] ? firstToken[n + 1] : lastToken(n);
    }

    boolean hasChildren(int n) {
        return n + 1 < end[n];
    }

    /** Builds the preorder arrays from the sorted byte strings, using the prefix each shares with the one before. */
    private static final class Builder {
        byte[] label;
        int[] end;
        int[] first;
        byte[] pathPlain;
        byte[] plain;
        short[] pathChars;
        short[] chars;
        byte[] pathOwed;
        byte[] owed;
        int count;
        int maxDepth;
        // the current path: node ids and UTF-8 states (per start state) along it
        int[] path = new int[64];
        int[][] states = new int[64][];
        int depth;
        byte[] previous = new byte[0];

        Builder(int tokens) {
            int capacity = Math.max(16, tokens * 4);
            label = new byte[capacity];
            end = new int[capacity];
            first = new int[capacity];
            pathPlain = new byte[capacity];
            plain = new byte[capacity];
            pathChars = new short[capacity];
            chars = new short[capacity];
            pathOwed = new byte[capacity];
            owed = new byte[capacity];
            int[] rootStates = new int[Utf8States.STATES];
            for (int s = 0; s < rootStates.length; s++) {
                rootStates[s] = s;
            }
            newNode((byte) 0, 0, rootStates);
            path[0] = 0;
            states[0] = rootStates;
            pathPlain[0] = (byte) 0xFF;
            plain[0] = (byte) 0xFF;
            pathOwed[0] = -1;
        }

        void add(byte[] w, int token) {
            int common = 0;
            int max = Math.min(w.length, previous.length);
            while (common < max && w[common] == previous[common]) {
                common++;
            }
            closeTo(common);
            for (int i = common; i < w.length; i++) {
                int parent = path[depth];
                int b = w[i] & 0xFF;
                int[] ps = states[depth];
                int[] st = new int[Utf8States.STATES];
                int mask = 0;
                for (int s = 0; s < st.length; s++) {
                    st[s] = ps[s] < 0 ? -1 : Utf8States.next(ps[s], b);
                    if (st[s] >= 0) {
                        mask |= 1 << s;
                    }
                }
                int node = newNode(w[i], token, st);
                boolean starts = Utf8States.startsCharacter(b);
                pathPlain[node] = (byte) mask;
                plain[node] = (byte) mask;
                pathChars[node] = (short) Math.min(Short.MAX_VALUE, pathChars[parent] + (starts ? 1 : 0));
                chars[node] = pathChars[node];
                pathOwed[node] = (byte) (starts ? Utf8States.continuationsAfter(b)
                        : pathOwed[parent] < 0 ? -1 : pathOwed[parent] - 1);
                owed[node] = (byte) Math.max(0, pathOwed[node]);
                depth++;
                if (depth == path.length) {
                    path = Arrays.copyOf(path, depth * 2);
                    states = Arrays.copyOf(states, depth * 2);
                }
                path[depth] = node;
                states[depth] = st;
                maxDepth = Math.max(maxDepth, depth);
            }
            previous = w;
        }

        private int newNode(byte b, int token, int[] st) {
            if (count == label.length) {
                int c = count * 2;
                label = Arrays.copyOf(label, c);
                end = Arrays.copyOf(end, c);
                first = Arrays.copyOf(first, c);
                pathPlain = Arrays.copyOf(pathPlain, c);
                plain = Arrays.copyOf(plain, c);
                pathChars = Arrays.copyOf(pathChars, c);
                chars = Arrays.copyOf(chars, c);
                pathOwed = Arrays.copyOf(pathOwed, c);
                owed = Arrays.copyOf(owed, c);
            }
            label[count] = b;
            first[count] = token;
            return count++;
        }

        /** Closes the nodes deeper than {@code d}, folding each subtree's summaries into its parent. */
        private void closeTo(int d) {
            while (depth > d) {
                int node = path[depth];
                int parent = path[depth - 1];
                end[node] = count;
                plain[parent] &= plain[node];
                chars[parent] = (short) Math.max(chars[parent], chars[node]);
                owed[parent] = (byte) Math.max(owed[parent], owed[node]);
                depth--;
            }
        }

        void finish() {
            closeTo(0);
            end[0] = count;
        }
    }
}
