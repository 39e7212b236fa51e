package io.puhui.scheduler.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A comma-separated file with a header line, read row by row with columns looked up by name. Fields may be
 * double-quoted; blank lines are skipped; a UTF-8 byte-order mark is ignored.
 */
final class Csv {

    final Path file;
    final List<String> header;
    private final Map<String, Integer> index = new HashMap<>();

    private Csv(Path file, List<String> header) {
        this.file = file;
        this.header = header;
        for (int i = 0; i < header.size(); i++) {
            index.put(header.get(i), i);
        }
    }

    /** The header of a file, lower-cased and trimmed. */
    static List<String> header(Path file) {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String first = in.readLine();
            if (first == null) {
                throw new TraceFormatException(file, 1, "empty file; a header line is expected");
            }
            return columns(first);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<String> columns(String line) {
        if (!line.isEmpty() && line.charAt(0) == '\uFEFF') {
            line = line.substring(1);
        }
        List<String> cols = new ArrayList<>();
        for (String c : split(line)) {
            cols.add(c.trim().toLowerCase(java.util.Locale.ROOT));
        }
        return cols;
    }

    static Csv open(Path file) {
        return new Csv(file, header(file));
    }

    boolean has(String column) {
        return index.containsKey(column);
    }

    /** Calls {@code action} for each data row. */
    void rows(Consumer<Row> action) {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            in.readLine();
            String line;
            long number = 1;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                List<String> fields = split(line);
                if (fields.size() < header.size()) {
                    throw new TraceFormatException(file, number, "expected " + header.size() + " fields ("
                            + String.join(",", header) + "), found " + fields.size());
                }
                action.accept(new Row(number, fields));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        out.add(field.toString());
        return out;
    }

    /** One data row. */
    final class Row {
        final long line;
        private final List<String> fields;

        Row(long line, List<String> fields) {
            this.line = line;
            this.fields = fields;
        }

        String text(String column) {
            Integer i = index.get(column);
            return i == null ? "" : fields.get(i).trim();
        }

        long integer(String column) {
            String v = text(column);
            try {
                if (v.indexOf('.') >= 0 || v.indexOf('e') >= 0 || v.indexOf('E') >= 0) {
                    double d = Double.parseDouble(v);
                    if (d != Math.rint(d) || Double.isInfinite(d)) {
                        throw new NumberFormatException();
                    }
                    return (long) d;
                }
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw fault("column " + column + " must be a whole number, found '" + v + "'");
            }
        }

        long integer(String column, long missing) {
            return !has(column) || text(column).isEmpty() ? missing : integer(column);
        }

        double number(String column) {
            String v = text(column);
            try {
                return Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw fault("column " + column + " must be a number, found '" + v + "'");
            }
        }

        TraceFormatException fault(String message) {
            return new TraceFormatException(file, line, message);
        }
    }
}
