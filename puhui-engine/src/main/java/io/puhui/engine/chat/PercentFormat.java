// Python's printf-style string formatting, "text %s" % value, which some chat templates use to build lines.
package io.puhui.engine.chat;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import jinjava.javax.el.ELException;

final class PercentFormat {
    private PercentFormat() {
    }

    /**
     * @param args a tuple/list of values, a mapping for "%(name)s" fields, or a single value
     */
    static String format(String template, Object args) {
        List<?> values = args instanceof List<?> l ? l : List.of(args == null ? Null.NONE : args);
        Map<?, ?> named = args instanceof Map<?, ?> m ? m : null;
        StringBuilder out = new StringBuilder();
        int next = 0;
        int i = 0;
        while (i < template.length()) {
            char c = template.charAt(i++);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (i >= template.length()) {
                throw new ELException("incomplete format: the template ends with '%'");
            }
            Object value = null;
            boolean haveValue = false;
            if (template.charAt(i) == '(') {
                int close = template.indexOf(')', i);
                if (close < 0 || named == null) {
                    throw new ELException("format requires a mapping for %(name) fields");
                }
                value = named.get(template.substring(i + 1, close));
                haveValue = true;
                i = close + 1;
            }
            int specStart = i;
            while (i < template.length() && "-+ #0123456789.".indexOf(template.charAt(i)) >= 0) {
                i++;
            }
            if (i >= template.length()) {
                throw new ELException("incomplete format specifier in " + PythonValues.quote(template));
            }
            String spec = template.substring(specStart, i);
            char type = template.charAt(i++);
            if (type == '%') {
                out.append('%');
                continue;
            }
            if (!haveValue) {
                if (next >= values.size()) {
                    throw new ELException("not enough arguments for format string " + PythonValues.quote(template));
                }
                value = values.get(next++);
            }
            if (value == Null.NONE) {
                value = null;
            }
            out.append(convert(spec, type, value));
        }
        if (named == null && next < values.size()) {
            throw new ELException("not all arguments converted during string formatting");
        }
        return out.toString();
    }

    private static String convert(String spec, char type, Object value) {
        return switch (type) {
            case 's' -> String.format(Locale.ROOT, "%" + spec.replace("#", "").replace("+", "").replace(" ", "") + "s",
                    PythonValues.str(value));
            case 'r', 'a' -> String.format(Locale.ROOT, "%" + spec.replaceAll("[#+ 0]", "") + "s", PythonValues.repr(value));
            case 'd', 'i', 'u' -> String.format(Locale.ROOT, "%" + spec.replace("#", "") + "d", number(value).longValue());
            case 'x', 'X', 'o' -> String.format(Locale.ROOT, "%" + spec + type, number(value).longValue());
            case 'f', 'F', 'e', 'E', 'g', 'G' -> String.format(Locale.ROOT, "%" + spec + type, number(value).doubleValue());
            case 'c' -> value instanceof Number n ? Character.toString(n.intValue()) : PythonValues.str(value);
            default -> throw new ELException("unsupported format character '" + type + "'");
        };
    }

    private static Number number(Object value) {
        if (value instanceof Number n) {
            return n;
        }
        if (value instanceof Boolean b) {
            return b ? 1 : 0;
        }
        throw new ELException("a number is required, not " + PythonValues.typeName(value));
    }

    /** Stands for a None argument inside List.of, which rejects null. */
    private enum Null { NONE }
}
