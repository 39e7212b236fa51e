// The keyword lexicon: entries tagged with a risk category and an action, from three layers — the open base
// lexicon (a Maven dependency), Puhui's own rules shipped in the jar, and the operator's files.
package io.puhui.server.safety;

import com.ibm.icu.text.Transliterator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

public final class Lexicon {
    /** What a hit does: {@code BLOCK} refuses the request or withholds the answer; {@code FLAG} only records it. */
    public enum Action {
        BLOCK, FLAG
    }

    /**
     * One entry. A combination ({@code parts} of two or more) matches when all its parts occur within
     * {@link #COMBINATION_SPAN} folded characters of each other, e.g. "how to make" with "bomb".
     *
     * @param text     the entry as written
     * @param parts    its folded parts (one for a plain word)
     * @param category its risk category, e.g. {@code politics}, {@code violence}, {@code personal-info}
     * @param source   where it was read: {@code file:line}
     */
    public record Entry(String text, List<String> parts, String category, Action action, String source) {
    }

    /** How close together the parts of a combination must be, in folded characters. */
    public static final int COMBINATION_SPAN = 40;

    /** The base lexicon's numeric tags, as its project documents them. */
    private static final Map<String, String> BASE_TAGS = Map.of("0", "politics", "1", "drugs", "2", "pornography",
            "3", "gambling", "4", "crime");

    /** Whether a name can be a risk category: lower case, letters, digits and -, e.g. {@code self-harm}. */
    public static boolean isCategory(String name) {
        return name != null && name.matches("[a-z][a-z0-9-]{0,39}");
    }

    /** A lexicon file has a line it cannot read; the message names the file and the line. */
    public static final class FormatException extends IllegalArgumentException {
        public FormatException(String message) {
            super(message);
        }
    }

    private final List<Entry> entries;

    private Lexicon(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    public List<Entry> entries() {
        return entries;
    }

    public int size() {
        return entries.size();
    }

    /** Entries by category, for `puhui safety` and the tests. */
    public Map<String, Integer> byCategory() {
        Map<String, Integer> out = new TreeMap<>();
        entries.forEach(e -> out.merge(e.category(), 1, Integer::sum));
        return out;
    }

    /** Collects entries from several sources, later ones adding to earlier ones. */
    public static final class Builder {
        private final List<Entry> entries = new ArrayList<>();
        private Transliterator pinyin;

        /**
         * The base lexicon from the classpath: its tagged entries, as {@code FLAG} (it lists many words that
         * are also everyday ones, 政府 or 乳腺; a tenant's rules may make a category block).
         */
        public Builder base() {
            try (InputStream in = Lexicon.class.getResourceAsStream("/sensitive_word_tags.txt")) {
                if (in == null) {
                    throw new IllegalStateException("the base lexicon (sensitive-word-data) is missing from the classpath");
                }
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                int line = 0;
                for (String s; (s = r.readLine()) != null; ) {
                    line++;
                    int sp = s.lastIndexOf(' ');
                    if (sp <= 0) {
                        continue;
                    }
                    String word = s.substring(0, sp).strip();
                    for (String tag : s.substring(sp + 1).strip().split(",")) {
                        String category = BASE_TAGS.get(tag.strip());
                        if (category != null) {
                            add(word, List.of(word), category, Action.FLAG, "base:" + line);
                        }
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the base lexicon: " + e.getMessage(), e);
            }
            return this;
        }

        /** Puhui's own rules, shipped in the jar. */
        public Builder shipped() {
            try (InputStream in = Lexicon.class.getResourceAsStream("puhui-lexicon.tsv")) {
                read(new String(in.readAllBytes(), StandardCharsets.UTF_8), "puhui-lexicon.tsv", Action.BLOCK);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the shipped lexicon: " + e.getMessage(), e);
            }
            return this;
        }

        /** An operator's file (see {@link #read}). */
        public Builder file(Path file) {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new FormatException("cannot read lexicon file " + file + ": " + e.getMessage());
            }
            read(text, file.toString(), Action.BLOCK);
            return this;
        }

        /**
         * Reads lexicon lines: {@code TERM<TAB>CATEGORY[<TAB>block|flag]}; a TERM of parts joined by
         * {@code " + "} is a combination; {@code #} starts a comment line. Blocking entries also match as
         * their full pinyin (and, from five characters on, its initials), a common evasion.
         */
        public Builder read(String text, String name, Action defaultAction) {
            String[] lines = text.split("\r?\n", -1);
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i];
                String where = name + ":" + (i + 1);
                if (i == 0 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
                if (line.isBlank() || line.stripLeading().startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t");
                if (f.length < 2 || f.length > 3 || f[0].isBlank() || f[1].isBlank()) {
                    throw new FormatException(where + ": expected TERM<TAB>CATEGORY[<TAB>block|flag], got '"
                            + line.replace("\t", "<TAB>") + "'");
                }
                String category = f[1].strip().toLowerCase(Locale.ROOT);
                if (!isCategory(category)) {
                    throw new FormatException(where + ": the category '" + f[1].strip() + "' must be a lower-case "
                            + "name of letters, digits and -, e.g. violence");
                }
                Action action = defaultAction;
                if (f.length == 3) {
                    try {
                        action = Action.valueOf(f[2].strip().toUpperCase(Locale.ROOT));
                    } catch (IllegalArgumentException e) {
                        throw new FormatException(where + ": the action '" + f[2].strip() + "' must be block or flag");
                    }
                }
                List<String> parts = new ArrayList<>();
                for (String p : f[0].split(" \\+ ")) {
                    if (TextNormalizer.fold(p).isEmpty()) {
                        throw new FormatException(where + ": '" + p.strip() + "' has no letters or digits to match");
                    }
                    parts.add(p.strip());
                }
                add(f[0].strip(), parts, category, action, where);
            }
            return this;
        }

        private void add(String text, List<String> rawParts, String category, Action action, String source) {
            List<String> folded = rawParts.stream().map(TextNormalizer::fold).toList();
            if (folded.stream().anyMatch(String::isEmpty)) {
                return;
            }
            entries.add(new Entry(text, folded, category, action, source));
            if (action == Action.BLOCK && rawParts.size() == 1 && isChinese(rawParts.get(0))) {
                String p = pinyin(rawParts.get(0));
                if (p.length() >= 6) {
                    entries.add(new Entry(text, List.of(TextNormalizer.fold(p)), category, action, source + " (pinyin)"));
                }
                String initials = initials(p);
                if (initials.length() >= 5) {
                    entries.add(new Entry(text, List.of(initials), category, action, source + " (pinyin initials)"));
                }
            }
        }

        private static boolean isChinese(String s) {
            return s.codePoints().allMatch(c -> Character.UnicodeScript.of(c) == Character.UnicodeScript.HAN);
        }

        private String pinyin(String s) {
            if (pinyin == null) {
                pinyin = Transliterator.getInstance("Han-Latin; Latin-ASCII");
            }
            return pinyin.transliterate(s).toLowerCase(Locale.ROOT);
        }

        private static String initials(String spaced) {
            StringBuilder out = new StringBuilder();
            for (String syllable : spaced.split(" ")) {
                if (!syllable.isEmpty() && Character.isLetter(syllable.charAt(0))) {
                    out.append(syllable.charAt(0));
                }
            }
            return out.toString();
        }

        public Lexicon build() {
            return new Lexicon(entries);
        }
    }

    /** The distinct folded keys of the lexicon and which entries each stands for, for the automaton. */
    Map<String, List<Integer>> keys() {
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            for (String p : entries.get(i).parts()) {
                out.computeIfAbsent(p, k -> new ArrayList<>(1)).add(i);
            }
        }
        out.replaceAll((k, v) -> Collections.unmodifiableList(v));
        return out;
    }
}
