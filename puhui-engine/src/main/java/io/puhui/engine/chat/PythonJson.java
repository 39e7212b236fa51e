// Python's json.dumps as Hugging Face's chat-template tojson calls it, so tool schemas reach the model byte for byte as in training.
// Defaults follow transformers: ensure_ascii=False (Chinese stays readable), keys in insertion order, ", " and ": " separators.
package io.puhui.engine.chat;

import com.hubspot.jinjava.objects.SafeString;
import java.math.BigDecimal;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;

final class PythonJson {
    private final boolean ensureAscii;
    private final String indent;
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;

    /**
     * @param indent     null for one line; otherwise the text repeated per nesting level (Python's int indent is that many spaces)
     * @param separators null for Python's defaults, else {item separator, key separator}
     */
    PythonJson(boolean ensureAscii, String indent, String[] separators, boolean sortKeys) {
        this.ensureAscii = ensureAscii;
        this.indent = indent;
        this.itemSeparator = separators != null ? separators[0] : indent == null ? ", " : ",";
        this.keySeparator = separators != null ? separators[1] : ": ";
        this.sortKeys = sortKeys;
    }

    String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, 0);
        return sb.toString();
    }

    private void write(StringBuilder sb, Object value, int level) {
        switch (value) {
            case null -> sb.append("null");
            case Boolean b -> sb.append(b ? "true" : "false");
            case String s -> string(sb, s);
            case SafeString s -> string(sb, s.getValue());
            case Double d -> number(sb, d);
            case Float f -> number(sb, f.doubleValue());
            case BigDecimal d -> number(sb, d.doubleValue());
            case Number n -> sb.append(n);
            case Map<?, ?> map -> object(sb, map, level);
            case Map.Entry<?, ?> e -> array(sb, Arrays.asList(e.getKey(), e.getValue()), level);
            case Collection<?> c -> array(sb, c, level);
            case Object[] a -> array(sb, List.of(a), level);
            default -> string(sb, PythonValues.str(value));
        }
    }

    private void number(StringBuilder sb, double d) {
        if (Double.isNaN(d)) {
            sb.append("NaN");
        } else if (Double.isInfinite(d)) {
            sb.append(d > 0 ? "Infinity" : "-Infinity");
        } else {
            sb.append(PythonValues.floatRepr(d));
        }
    }

    private void object(StringBuilder sb, Map<?, ?> map, int level) {
        if (map.isEmpty()) {
            sb.append("{}");
            return;
        }
        List<Map.Entry<String, Object>> entries = new ArrayList<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            entries.add(new AbstractMap.SimpleEntry<>(key(e.getKey()), e.getValue()));
        }
        if (sortKeys) {
            entries.sort(Map.Entry.comparingByKey());
        }
        sb.append('{');
        boolean first = true;
        for (Map.Entry<String, Object> e : entries) {
            if (!first) {
                sb.append(itemSeparator);
            }
            first = false;
            newline(sb, level + 1);
            string(sb, e.getKey());
            sb.append(keySeparator);
            write(sb, e.getValue(), level + 1);
        }
        newline(sb, level);
        sb.append('}');
    }

    private static String key(Object k) {
        return switch (k) {
            case null -> "null";
            case Boolean b -> b ? "true" : "false";
            case Double d -> PythonValues.floatRepr(d);
            default -> PythonValues.str(k);
        };
    }

    private void array(StringBuilder sb, Collection<?> items, int level) {
        if (items.isEmpty()) {
            sb.append("[]");
            return;
        }
        sb.append('[');
        boolean first = true;
        for (Object o : items) {
            if (!first) {
                sb.append(itemSeparator);
            }
            first = false;
            newline(sb, level + 1);
            write(sb, o, level + 1);
        }
        newline(sb, level);
        sb.append(']');
    }

    private void newline(StringBuilder sb, int level) {
        if (indent != null) {
            sb.append('\n').append(indent.repeat(level));
        }
    }

    private void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
