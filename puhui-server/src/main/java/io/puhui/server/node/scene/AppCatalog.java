package io.puhui.server.node.scene;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Program names that mark a scene: games and meeting apps. The built-in list can be extended with a file of
 * the same form ({@code $PUHUI_HOME/scene-apps.conf}):
 *
 * <pre>
 * # comments start with #
 * [games]
 * mygame
 * *.exe-of-my-game
 * [meetings]
 * my-call-app
 * </pre>
 *
 * Names are matched against process names case-insensitively; {@code *} matches any run of characters.
 */
public final class AppCatalog {

    private final List<Pattern> games = new ArrayList<>();
    private final List<Pattern> meetings = new ArrayList<>();

    private AppCatalog() {
    }

    /** The built-in list. */
    public static AppCatalog builtIn() {
        AppCatalog c = new AppCatalog();
        try (InputStream in = AppCatalog.class.getResourceAsStream("apps.conf")) {
            c.read(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), "built-in apps.conf");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return c;
    }

    /** The built-in list plus the names in {@code file}, when it exists. */
    public static AppCatalog withUserFile(Path file) {
        AppCatalog c = builtIn();
        if (Files.isRegularFile(file)) {
            try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                c.read(in, file.toString());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        return c;
    }

    private void read(BufferedReader in, String where) throws IOException {
        List<Pattern> section = null;
        String line;
        int number = 0;
        while ((line = in.readLine()) != null) {
            number++;
            String s = line.strip();
            if (s.isEmpty() || s.startsWith("#")) {
                continue;
            }
            if (s.startsWith("[")) {
                section = switch (s.toLowerCase(Locale.ROOT)) {
                    case "[games]" -> games;
                    case "[meetings]" -> meetings;
                    default -> throw new IllegalArgumentException(where + ":" + number + ": unknown section " + s
                            + "; use [games] or [meetings]");
                };
                continue;
            }
            if (section == null) {
                throw new IllegalArgumentException(where + ":" + number + ": '" + s
                        + "' comes before any section; start with [games] or [meetings]");
            }
            section.add(glob(s));
        }
    }

    private static Pattern glob(String name) {
        List<String> parts = new ArrayList<>();
        for (String part : name.toLowerCase(Locale.ROOT).split("\\*", -1)) {
            parts.add(Pattern.quote(part));
        }
        return Pattern.compile(String.join(".*", parts));
    }

    /** The first running game, if any. */
    public Optional<String> game(Iterable<String> processes) {
        return first(games, processes);
    }

    /** The first running meeting app, if any. */
    public Optional<String> meeting(Iterable<String> processes) {
        return first(meetings, processes);
    }

    private static Optional<String> first(List<Pattern> patterns, Iterable<String> processes) {
        for (String p : processes) {
            String name = p.toLowerCase(Locale.ROOT);
            for (Pattern pattern : patterns) {
                if (pattern.matcher(name).matches()) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }
}
