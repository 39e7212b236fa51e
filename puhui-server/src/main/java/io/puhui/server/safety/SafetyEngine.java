// The content-safety checks of every request and answer: the lexicon compiled into one automaton, personal-
// information patterns, and the operator's lexicon files reloaded when they change.
package io.puhui.server.safety;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public final class SafetyEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SafetyEngine.class);

    /** Where a text is checked: what a user sent, or what a model answered. */
    public enum Stage {
        INPUT, OUTPUT
    }

    /** A lexicon ready to scan with. */
    static final class Compiled {
        final Lexicon lexicon;
        final Automaton automaton;
        /** Entries that each automaton key stands for. */
        final int[][] entriesOfKey;
        private final Map<String, Integer> keyIndex = new HashMap<>();

        Compiled(Lexicon lexicon) {
            this.lexicon = lexicon;
            Map<String, List<Integer>> keys = lexicon.keys();
            List<String> list = new ArrayList<>(keys.keySet());
            this.automaton = new Automaton(list);
            this.entriesOfKey = new int[list.size()][];
            for (int i = 0; i < list.size(); i++) {
                entriesOfKey[i] = keys.get(list.get(i)).stream().mapToInt(Integer::intValue).toArray();
                keyIndex.put(list.get(i), i);
            }
        }

        int keyIndex(String key) {
            return keyIndex.getOrDefault(key, -1);
        }
    }

    private final Path operatorDir;
    private volatile Compiled compiled;
    private volatile String signature;
    private volatile String reloadError;
    private final ScheduledExecutorService watcher;

    /**
     * Loads the base lexicon, the shipped rules and the operator's files ({@code *.tsv} and {@code *.txt} in
     * {@code operatorDir}, if it exists), and watches them every {@code reloadSeconds} (0: never).
     *
     * @throws Lexicon.FormatException naming the file and line of a malformed entry
     */
    public SafetyEngine(Path operatorDir, double reloadSeconds) {
        this.operatorDir = operatorDir;
        this.signature = signature();
        this.compiled = new Compiled(load());
        if (reloadSeconds > 0) {
            watcher = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("lexicon-watch").unstarted(r));
            long ms = (long) (reloadSeconds * 1000);
            watcher.scheduleWithFixedDelay(this::reloadIfChanged, ms, ms, TimeUnit.MILLISECONDS);
        } else {
            watcher = null;
        }
    }

    private Lexicon load() {
        Lexicon.Builder b = new Lexicon.Builder().base().shipped();
        for (Path f : operatorFiles()) {
            b.file(f);
        }
        return b.build();
    }

    private List<Path> operatorFiles() {
        if (operatorDir == null || !Files.isDirectory(operatorDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(operatorDir)) {
            return s.filter(p -> p.toString().endsWith(".tsv") || p.toString().endsWith(".txt")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private String signature() {
        StringBuilder sb = new StringBuilder();
        for (Path f : operatorFiles()) {
            try {
                sb.append(f).append('@').append(Files.getLastModifiedTime(f).toMillis()).append('#').append(Files.size(f)).append(';');
            } catch (IOException gone) {
                sb.append(f).append("@gone;");
            }
        }
        return sb.toString();
    }

    /** Rebuilds the lexicon when an operator file was added, changed or removed; a bad file keeps the last good one. */
    public void reloadIfChanged() {
        String now = signature();
        if (now.equals(signature)) {
            return;
        }
        signature = now;
        try {
            Compiled next = new Compiled(load());
            compiled = next;
            reloadError = null;
            LOG.info("lexicon reloaded: {} entries", next.lexicon.size());
        } catch (RuntimeException e) {
            reloadError = e.getMessage();
            LOG.warn("lexicon not reloaded, the previous one stays in use: {}", e.getMessage());
        }
    }

    /** Why the last reload failed (the previous lexicon stays in use), or null. */
    public String reloadError() {
        return reloadError;
    }

    public Lexicon lexicon() {
        return compiled.lexicon;
    }

    /**
     * What a tenant's rules change: categories whose flagging entries block too (e.g. the base lexicon's
     * pornography for minors).
     */
    public record Rules(Set<String> blockCategories) {
        public static final Rules DEFAULT = new Rules(Set.of());

        public Rules {
            blockCategories = Set.copyOf(blockCategories);
        }
    }

    /** Checks a whole text. */
    public List<Hit> check(CharSequence text, Stage stage, Rules rules) {
        return scanner(stage, rules).feed(text);
    }

    /** A scanner for a text that arrives in pieces (a streamed answer). */
    public Scanner scanner(Stage stage, Rules rules) {
        return new Scanner(compiled, stage, rules);
    }

    /**
     * Scans a text piece by piece, carrying the automaton's state and the tail that patterns need across pieces,
     * so that a word split between two chunks is found. Each rule is reported once.
     */
    public static final class Scanner {
        private final Compiled c;
        private final Stage stage;
        private final Rules rules;
        private int state = Automaton.START;
        private int folded;
        private long raw;
        private final StringBuilder fold = new StringBuilder(4);
        private final StringBuilder tail = new StringBuilder();
        private long tailStart;
        private final Set<Integer> reported = new HashSet<>();
        private final Set<String> patternsReported = new HashSet<>();
        private final Map<Integer, int[]> partsSeen = new HashMap<>();

        Scanner(Compiled c, Stage stage, Rules rules) {
            this.c = c;
            this.stage = stage;
            this.rules = rules;
        }

        /** Feeds the next piece; returns the rules it completed. */
        public List<Hit> feed(CharSequence piece) {
            List<Hit> out = new ArrayList<>();
            for (int i = 0; i < piece.length(); i++) {
                fold.setLength(0);
                TextNormalizer.fold(piece.charAt(i), fold);
                raw++;
                for (int k = 0; k < fold.length(); k++) {
                    state = c.automaton.step(state, fold.charAt(k));
                    folded++;
                    long at = raw;
                    c.automaton.report(state, (key, length) -> found(key, at, out));
                }
            }
            tail.append(piece);
            // every pattern ends in a digit (or X, after digits): a piece without one completes none
            boolean digit = false;
            for (int i = 0; i < piece.length() && !digit; i++) {
                char ch = piece.charAt(i);
                digit = (ch >= '0' && ch <= '9') || ch == 'X' || ch == 'x';
            }
            for (Patterns.Match m : digit ? Patterns.find(tail) : List.<Patterns.Match>of()) {
                long end = tailStart + m.end();
                if (patternsReported.add(m.name() + "@" + end)) {
                    Lexicon.Action a = stage == Stage.OUTPUT || rules.blockCategories().contains(Patterns.CATEGORY)
                            ? Lexicon.Action.BLOCK : Lexicon.Action.FLAG;
                    out.add(new Hit(Patterns.CATEGORY, a, m.name(), "pattern:" + m.name(), end));
                }
            }
            if (tail.length() > 2 * Patterns.MAX_LENGTH) {
                int cut = tail.length() - Patterns.MAX_LENGTH;
                tail.delete(0, cut);
                tailStart += cut;
            }
            return out;
        }

        private void found(int key, long at, List<Hit> out) {
            for (int e : c.entriesOfKey[key]) {
                if (reported.contains(e)) {
                    continue;
                }
                Lexicon.Entry entry = c.lexicon.entries().get(e);
                if (entry.parts().size() > 1) {
                    int[] seen = partsSeen.computeIfAbsent(e, x -> {
                        int[] a = new int[entry.parts().size()];
                        Arrays.fill(a, Integer.MIN_VALUE / 2);
                        return a;
                    });
                    String k = keyText(key, entry);
                    for (int p = 0; p < seen.length; p++) {
                        if (entry.parts().get(p).equals(k)) {
                            seen[p] = folded;
                        }
                    }
                    int min = Integer.MAX_VALUE;
                    for (int s : seen) {
                        min = Math.min(min, s);
                    }
                    if (folded - min > Lexicon.COMBINATION_SPAN) {
                        continue;
                    }
                }
                reported.add(e);
                Lexicon.Action a = entry.action() == Lexicon.Action.FLAG && rules.blockCategories().contains(entry.category())
                        ? Lexicon.Action.BLOCK : entry.action();
                out.add(new Hit(entry.category(), a, entry.text(), entry.source(), at));
            }
        }

        /** The part of {@code entry} that automaton key {@code key} is (the one whose entries include it). */
        private String keyText(int key, Lexicon.Entry entry) {
            for (String p : entry.parts()) {
                if (c.keyIndex(p) == key) {
                    return p;
                }
            }
            return "";
        }
    }

    @Override
    public void close() {
        if (watcher != null) {
            watcher.shutdownNow();
        }
    }
}
