// The filters whose Jinjava version differs from the Jinja2 (and transformers) version that chat templates expect.
// Registered over Jinjava's built-ins of the same name; every other filter is Jinjava's.
package io.puhui.engine.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.objects.collections.PyList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jinjava.javax.el.ELException;

final class Jinja2Filters {
    private Jinja2Filters() {
    }

    static List<Filter> all() {
        return List.of(
                new Tojson(), new Items(), new Indent(), new Str(), new Trim(), new Join(), new ToList(),
                new Title(), new Capitalize(), new Reverse(), new Sum(), new Extreme("min"), new Extreme("max"));
    }

    /** A filter taking Python-style positional and keyword arguments. */
    private abstract static class PythonFilter implements Filter {
        abstract Object apply(Object value, Args args);

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            return apply(var, new Args(args, kwargs));
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return apply(var, new Args(args, Map.of()));
        }
    }

    private record Args(Object[] positional, Map<String, Object> named) {
        Object get(int index, String name, Object fallback) {
            if (index < positional.length) {
                return positional[index];
            }
            return named.getOrDefault(name, fallback);
        }

        boolean flag(int index, String name) {
            return PythonValues.isTruthy(get(index, name, false));
        }
    }

    /**
     * transformers' tojson: {@code tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)},
     * i.e. json.dumps without Jinja2's HTML escaping.
     */
    static final class Tojson extends PythonFilter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        Object apply(Object value, Args args) {
            Object indent = args.get(1, "indent", null);
            String indentText = switch (indent) {
                case null -> null;
                case String s -> s;
                default -> " ".repeat((int) Math.max(0, PythonValues.toLong(indent)));
            };
            Object seps = args.get(2, "separators", null);
            String[] separators = null;
            if (seps != null) {
                List<Object> parts = PythonValues.iterate(seps);
                if (parts.size() != 2) {
                    throw new ELException("tojson separators must be a pair (item_separator, key_separator)");
                }
                separators = new String[] {PythonValues.str(parts.get(0)), PythonValues.str(parts.get(1))};
            }
            return new PythonJson(args.flag(0, "ensure_ascii"), indentText, separators, args.flag(3, "sort_keys"))
                    .write(value);
        }
    }

    /** Jinja2 3.1's items: a mapping's (key, value) pairs, so templates can write {@code for k, v in d|items}. */
    static final class Items extends PythonFilter {
        @Override
        public String getName() {
            return "items";
        }

        @Override
        Object apply(Object value, Args args) {
            List<Object> out = new ArrayList<>();
            if (value instanceof Map<?, ?> map) {
                map.forEach((k, v) -> out.add(new PyList(new ArrayList<>(Arrays.asList(k, v)))));
            } else if (value != null) {
                throw new ELException("items filter needs a mapping, got " + PythonValues.typeName(value));
            }
            return new PyList(out);
        }
    }

    /** Jinja2's {@code indent(width=4, first=False, blank=False)}. */
    static final class Indent extends PythonFilter {
        @Override
        public String getName() {
            return "indent";
        }

        @Override
        Object apply(Object value, Args args) {
            Object width = args.get(0, "width", 4L);
            String pad = width instanceof String s ? s : " ".repeat((int) Math.max(0, PythonValues.toLong(width)));
            boolean first = args.flag(1, "first");
            boolean blank = args.flag(2, "blank");
            // Jinja2 appends a newline before splitting so that a trailing newline survives splitlines()
            List<String> lines = PythonStringMethods.splitlines(PythonValues.str(value) + "\n");
            StringBuilder sb = new StringBuilder();
            if (blank) {
                sb.append(String.join("\n" + pad, lines));
            } else {
                sb.append(lines.getFirst());
                for (String line : lines.subList(1, lines.size())) {
                    sb.append('\n').append(line.isEmpty() ? "" : pad + line);
                }
            }
            return first ? pad + sb : sb.toString();
        }
    }

    /** Python's str(); Jinjava's would give "null" and Java collection forms. */
    static final class Str extends PythonFilter {
        @Override
        public String getName() {
            return "string";
        }

        @Override
        Object apply(Object value, Args args) {
            return PythonValues.str(value);
        }
    }

    /** Jinja2's {@code trim(chars=None)}: Python str.strip. */
    static final class Trim extends PythonFilter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        Object apply(Object value, Args args) {
            Object chars = args.get(0, "chars", null);
            return PythonStringMethods.strip(PythonValues.str(value), chars == null ? null : PythonValues.str(chars), true, true);
        }
    }

    /** Jinja2's {@code join(d='', attribute=None)} over the Python str() of each item. */
    static final class Join extends PythonFilter {
        @Override
        public String getName() {
            return "join";
        }

        @Override
        Object apply(Object value, Args args) {
            String sep = PythonValues.str(args.get(0, "d", ""));
            Object attribute = args.get(1, "attribute", null);
            StringBuilder sb = new StringBuilder();
            boolean first = true;
            for (Object item : PythonValues.iterate(value)) {
                if (!first) {
                    sb.append(sep);
                }
                first = false;
                Object shown = attribute == null ? item
                        : item instanceof Map<?, ?> m ? m.get(PythonValues.str(attribute)) : null;
                sb.append(PythonValues.str(shown));
            }
            return sb.toString();
        }
    }

    /** Python's list(): a string gives characters, a mapping its keys. */
    static final class ToList extends PythonFilter {
        @Override
        public String getName() {
            return "list";
        }

        @Override
        Object apply(Object value, Args args) {
            return new PyList(PythonValues.iterate(value));
        }
    }

    static final class Title extends PythonFilter {
        @Override
        public String getName() {
            return "title";
        }

        @Override
        Object apply(Object value, Args args) {
            return PythonStringMethods.title(PythonValues.str(value));
        }
    }

    static final class Capitalize extends PythonFilter {
        @Override
        public String getName() {
            return "capitalize";
        }

        @Override
        Object apply(Object value, Args args) {
            return PythonStringMethods.call(PythonValues.str(value), "capitalize", new PythonStringMethods.Arguments(new Object[0]));
        }
    }

    /** A reversed string, or the items of a sequence in reverse order as a list (Jinjava returns a Java array). */
    static final class Reverse extends PythonFilter {
        @Override
        public String getName() {
            return "reverse";
        }

        @Override
        Object apply(Object value, Args args) {
            if (value instanceof String || value instanceof SafeString) {
                return PythonSlice.slice(value, null, null, -1L);
            }
            List<Object> items = PythonValues.iterate(value);
            Collections.reverse(items);
            return new PyList(items);
        }
    }

    /** Jinja2's {@code sum(attribute=None, start=0)}: integers stay integers (Jinjava's returns a float). */
    static final class Sum extends PythonFilter {
        @Override
        public String getName() {
            return "sum";
        }

        @Override
        Object apply(Object value, Args args) {
            Object attribute = args.get(0, "attribute", null);
            Object total = args.get(1, "start", 0L);
            for (Object item : PythonValues.iterate(value)) {
                Object term = attribute == null ? item : item instanceof Map<?, ?> m ? m.get(PythonValues.str(attribute)) : null;
                total = PythonOperators.ADD.apply(total, term);
            }
            return total;
        }
    }

    /** Jinja2's {@code min} and {@code max(case_sensitive=False, attribute=None)} over numbers or strings. */
    static final class Extreme extends PythonFilter {
        private final String name;

        Extreme(String name) {
            this.name = name;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        Object apply(Object value, Args args) {
            boolean caseSensitive = args.flag(0, "case_sensitive");
            Object attribute = args.get(1, "attribute", null);
            Object best = null;
            Object bestKey = null;
            for (Object item : PythonValues.iterate(value)) {
                Object key = attribute == null ? item : item instanceof Map<?, ?> m ? m.get(PythonValues.str(attribute)) : null;
                if (!caseSensitive && key instanceof String s) {
                    key = s.toLowerCase(Locale.ROOT);
                }
                if (best == null || (name.equals("min") ? compare(key, bestKey) < 0 : compare(key, bestKey) > 0)) {
                    best = item;
                    bestKey = key;
                }
            }
            return best;
        }

        private static int compare(Object a, Object b) {
            if (a instanceof Number x && b instanceof Number y) {
                return Double.compare(x.doubleValue(), y.doubleValue());
            }
            return PythonValues.str(a).compareTo(PythonValues.str(b));
        }
    }
}
