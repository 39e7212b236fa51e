// Aho-Corasick over folded text: every lexicon entry found in one pass, whatever their number, and resumable
// from one chunk of a stream to the next (the state is a single node number).
package io.puhui.server.safety;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

final class Automaton {
    /** The root, and the state a scan starts in. */
    static final int START = 0;

    // edges of node n: edgeChar/edgeTarget[first[n] .. first[n + 1]), sorted by character
    private final int[] first;
    private final char[] edgeChar;
    private final int[] edgeTarget;
    private final int[] fail;
    /** The entry that ends at a node, or -1. */
    private final int[] ends;
    /** The nearest node down the failure chain (excluding this one) where an entry ends, or -1. */
    private final int[] dictLink;
    private final int[] depth;

    /** Builds the automaton of the given keys; entry i is {@code keys.get(i)} (keys must be distinct, non-empty). */
    Automaton(List<String> keys) {
        List<Map<Character, Integer>> children = new ArrayList<>();
        List<Integer> endsList = new ArrayList<>();
        List<Integer> depthList = new ArrayList<>();
        children.add(new HashMap<>());
        endsList.add(-1);
        depthList.add(0);
        for (int k = 0; k < keys.size(); k++) {
            String key = keys.get(k);
            int node = 0;
            for (int i = 0; i < key.length(); i++) {
                Integer next = children.get(node).get(key.charAt(i));
                if (next == null) {
                    next = children.size();
                    children.add(new HashMap<>(2));
                    endsList.add(-1);
                    depthList.add(i + 1);
                    children.get(node).put(key.charAt(i), next);
                }
                node = next;
            }
            endsList.set(node, k);
        }
        int n = children.size();
        first = new int[n + 1];
        int edges = 0;
        for (int i = 0; i < n; i++) {
            first[i] = edges;
            edges += children.get(i).size();
        }
        first[n] = edges;
        edgeChar = new char[edges];
        edgeTarget = new int[edges];
        for (int i = 0; i < n; i++) {
            Character[] cs = children.get(i).keySet().toArray(new Character[0]);
            Arrays.sort(cs);
            for (int j = 0; j < cs.length; j++) {
                edgeChar[first[i] + j] = cs[j];
                edgeTarget[first[i] + j] = children.get(i).get(cs[j]);
            }
        }
        ends = endsList.stream().mapToInt(Integer::intValue).toArray();
        depth = depthList.stream().mapToInt(Integer::intValue).toArray();
        fail = new int[n];
        dictLink = new int[n];
        Arrays.fill(dictLink, -1);
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int e = first[0]; e < first[1]; e++) {
            queue.add(edgeTarget[e]); // depth-1 nodes fail to the root
        }
        while (!queue.isEmpty()) {
            int node = queue.poll();
            int f = fail[node];
            dictLink[node] = ends[f] >= 0 ? f : dictLink[f];
            for (int e = first[node]; e < first[node + 1]; e++) {
                int child = edgeTarget[e];
                char c = edgeChar[e];
                int g = f;
                int to;
                while ((to = child(g, c)) < 0 && g != 0) {
                    g = fail[g];
                }
                fail[child] = to >= 0 && to != child ? to : 0;
                queue.add(child);
            }
        }
    }

    int nodes() {
        return fail.length;
    }

    private int child(int node, char c) {
        int lo = first[node];
        int hi = first[node + 1] - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            char m = edgeChar[mid];
            if (m < c) {
                lo = mid + 1;
            } else if (m > c) {
                hi = mid - 1;
            } else {
                return edgeTarget[mid];
            }
        }
        return -1;
    }

    /** The state after reading {@code c} in {@code state}. */
    int step(int state, char c) {
        int node = state;
        while (true) {
            int to = child(node, c);
            if (to >= 0) {
                return to;
            }
            if (node == 0) {
                return 0;
            }
            node = fail[node];
        }
    }

    /** Receives the entries that end at a position. */
    interface Found {
        void found(int entry, int length);
    }

    /** Reports every entry that ends in {@code state} (the longest first). */
    void report(int state, Found found) {
        int node = ends[state] >= 0 ? state : dictLink[state];
        while (node > 0) {
            found.found(ends[node], depth[node]);
            node = dictLink[node];
        }
    }
}
