// Python's str methods (strip, split, startswith, title, ...) on template strings, which chat templates call directly.
// Without this, Jinjava would call same-named Java methods (split takes a regex and drops trailing empties) or fail.
package io.puhui.engine.chat;

import com.hubspot.jinjava.el.ext.NamedParameter;
import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.objects.collections.PyList;
import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;
import jinjava.javax.el.ELResolver;

/** Resolves method calls and indexing on strings; everything else passes to the next resolver. */
final class PythonStringMethods extends ELResolver {

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        if (!isText(base)) {
            return null;
        }
        context.setPropertyResolved(true);
        Long index = property instanceof Number n ? Long.valueOf(n.longValue()) : parseIndex(property);
        if (index != null) {
            int[] cps = PythonValues.str(base).codePoints().toArray();
            long i = index < 0 ? index + cps.length : index;
            return i >= 0 && i < cps.length ? Character.toString(cps[(int) i]) : null;
        }
        return null; // an attribute a str does not have is undefined
    }

    // Jinjava hands subscripts to resolvers as text ("-1"), attribute names too; only integers index a str.
    private static Long parseIndex(Object property) {
        if (property instanceof String p && p.matches("-?\\d{1,9}")) {
            return Long.parseLong(p);
        }
        return null;
    }

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!isText(base) || method == null) {
            return null;
        }
        context.setPropertyResolved(true);
        return call(PythonValues.str(base), method.toString(), new Arguments(params == null ? new Object[0] : params));
    }

    static Object call(String s, String method, Arguments a) {
        return switch (method) {
            case "strip" -> strip(s, a.optionalString(0, "chars"), true, true);
            case "lstrip" -> strip(s, a.optionalString(0, "chars"), true, false);
            case "rstrip" -> strip(s, a.optionalString(0, "chars"), false, true);
            case "startswith" -> affix(s, a, true);
            case "endswith" -> affix(s, a, false);
            case "split" -> split(s, a.optionalString(0, "sep"), a.optionalLong(1, "maxsplit", -1));
            case "rsplit" -> rsplit(s, a.optionalString(0, "sep"), a.optionalLong(1, "maxsplit", -1));
            case "splitlines" -> new PyList(new ArrayList<>(splitlines(s)));
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s
                    : s.substring(0, s.offsetByCodePoints(0, 1)).toUpperCase(Locale.ROOT)
                            + s.substring(s.offsetByCodePoints(0, 1)).toLowerCase(Locale.ROOT);
            case "swapcase" -> swapcase(s);
            case "replace" -> replace(s, a.string(0, "old"), a.string(1, "new"), a.optionalLong(2, "count", -1));
            case "find" -> (long) s.indexOf(a.string(0, "sub"));
            case "rfind" -> (long) s.lastIndexOf(a.string(0, "sub"));
            case "index", "rindex" -> {
                String sub = a.string(0, "sub");
                int i = method.equals("index") ? s.indexOf(sub) : s.lastIndexOf(sub);
                if (i < 0) {
                    throw new ELException("substring not found: " + PythonValues.quote(sub));
                }
                yield (long) i;
            }
            case "count" -> count(s, a.string(0, "sub"));
            case "join" -> join(s, a.get(0, "iterable"));
            case "removeprefix" -> s.startsWith(a.string(0, "prefix")) ? s.substring(a.string(0, "prefix").length()) : s;
            case "removesuffix" -> s.endsWith(a.string(0, "suffix"))
                    ? s.substring(0, s.length() - a.string(0, "suffix").length()) : s;
            case "isdigit", "isnumeric", "isdecimal" -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isspace" -> !s.isEmpty() && s.codePoints().allMatch(PythonStringMethods::isSpace);
            case "isupper" -> s.codePoints().anyMatch(Character::isUpperCase) && s.codePoints().noneMatch(Character::isLowerCase);
            case "islower" -> s.codePoints().anyMatch(Character::isLowerCase) && s.codePoints().noneMatch(Character::isUpperCase);
            case "zfill" -> zfill(s, (int) a.optionalLong(0, "width", 0));
            case "center", "ljust", "rjust" -> pad(s, method, (int) a.optionalLong(0, "width", 0), a.optionalString(1, "fillchar"));
            case "partition", "rpartition" -> partition(s, a.string(0, "sep"), method.equals("partition"));
            case "format" -> format(s, a);
            default -> throw new ELException("str has no method '" + method + "'; chat templates may call the Python str "
                    + "methods strip, lstrip, rstrip, split, rsplit, splitlines, startswith, endswith, upper, lower, title, "
                    + "capitalize, replace, find, rfind, index, count, join, removeprefix, removesuffix, is*, zfill, "
                    + "center, ljust, rjust, partition, format");
        };
    }

    static boolean isSpace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85;
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        while (left && start < end && stripped(s.codePointAt(start), chars)) {
            start += Character.charCount(s.codePointAt(start));
        }
        while (right && end > start && stripped(s.codePointBefore(end), chars)) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        return s.substring(start, end);
    }

    private static boolean stripped(int cp, String chars) {
        return chars == null ? isSpace(cp) : chars.codePoints().anyMatch(c -> c == cp);
    }

    private static boolean affix(String s, Arguments a, boolean prefix) {
        Object what = a.get(0, prefix ? "prefix" : "suffix");
        int start = (int) a.optionalLong(1, "start", 0);
        int end = (int) a.optionalLong(2, "end", s.length());
        List<Integer> range = PythonSlice.indices(s.length(), (long) start, (long) end, 1L);
        String window = range.isEmpty() ? "" : s.substring(range.getFirst(), range.getLast() + 1);
        List<Object> candidates = what instanceof Collection<?> c ? new ArrayList<>(c) : List.of(PythonValues.str(what));
        for (Object c : candidates) {
            String t = PythonValues.str(c);
            if (prefix ? window.startsWith(t) : window.endsWith(t)) {
                return true;
            }
        }
        return false;
    }

    static PyList split(String s, String sep, long maxsplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    out.add(s.substring(i)); // Python keeps the rest as is
                    break;
                }
                int j = i;
                while (j < n && !isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return new PyList(out);
        }
        if (sep.isEmpty()) {
            throw new ELException("empty separator");
        }
        int from = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int at = s.indexOf(sep, from);
            if (at < 0) {
                break;
            }
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return new PyList(out);
    }

    private static PyList rsplit(String s, String sep, long maxsplit) {
        if (maxsplit < 0) {
            return split(s, sep, -1);
        }
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int j = s.length();
            while (true) {
                while (j > 0 && isSpace(s.charAt(j - 1))) {
                    j--;
                }
                if (j == 0) {
                    break;
                }
                if (out.size() == maxsplit) {
                    out.addFirst(s.substring(0, j)); // Python keeps the rest as is
                    break;
                }
                int i = j;
                while (i > 0 && !isSpace(s.charAt(i - 1))) {
                    i--;
                }
                out.addFirst(s.substring(i, j));
                j = i;
            }
            return new PyList(out);
        }
        if (sep.isEmpty()) {
            throw new ELException("empty separator");
        }
        int to = s.length();
        while (out.size() < maxsplit) {
            int at = s.lastIndexOf(sep, to - sep.length());
            if (at < 0) {
                break;
            }
            out.addFirst(s.substring(at + sep.length(), to));
            to = at;
        }
        out.addFirst(s.substring(0, to));
        return new PyList(out);
    }

    /** Python's str.splitlines(): every line break Python recognises, without the breaks. */
    static List<String> splitlines(String s) {
        List<String> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            boolean br = c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e
                    || c == 0x85 || c == 0x2028 || c == 0x2029;
            if (br) {
                out.add(s.substring(start, i));
                i += c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n' ? 2 : 1;
                start = i;
            } else {
                i++;
            }
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return out;
    }

    /** Python's str.title(): a letter after a cased letter is lowered, any other letter is raised. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            sb.appendCodePoint(previousCased ? Character.toLowerCase(cp) : Character.toTitleCase(cp));
            previousCased = Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
            i += Character.charCount(cp);
        }
        return sb.toString();
    }

    private static String swapcase(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> sb.appendCodePoint(
                Character.isUpperCase(cp) ? Character.toLowerCase(cp) : Character.isLowerCase(cp) ? Character.toUpperCase(cp) : cp));
        return sb.toString();
    }

    static String replace(String s, String old, String replacement, long count) {
        if (count < 0) {
            return s.replace(old, replacement);
        }
        StringBuilder sb = new StringBuilder();
        int from = 0;
        for (long k = 0; k < count; k++) {
            int at = old.isEmpty() ? (from <= s.length() ? from : -1) : s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            sb.append(s, from, at).append(replacement);
            from = at + old.length();
            if (old.isEmpty()) {
                if (from < s.length()) {
                    sb.append(s.charAt(from));
                }
                from++;
            }
        }
        if (from < s.length()) {
            sb.append(s.substring(from));
        }
        return sb.toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.codePointCount(0, s.length()) + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String sep, Object iterable) {
        StringBuilder sb = new StringBuilder();
        Iterator<Object> it = PythonValues.iterate(iterable).iterator();
        while (it.hasNext()) {
            sb.append(PythonValues.str(it.next()));
            if (it.hasNext()) {
                sb.append(sep);
            }
        }
        return sb.toString();
    }

    private static String zfill(String s, int width) {
        if (s.length() >= width) {
            return s;
        }
        boolean sign = !s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-');
        String zeros = "0".repeat(width - s.length());
        return sign ? s.charAt(0) + zeros + s.substring(1) : zeros + s;
    }

    private static String pad(String s, String how, int width, String fill) {
        String f = fill == null ? " " : fill;
        int missing = width - s.length();
        if (missing <= 0) {
            return s;
        }
        return switch (how) {
            case "ljust" -> s + f.repeat(missing);
            case "rjust" -> f.repeat(missing) + s;
            default -> {
                // Python puts the odd pad character on the left when width is odd (matching CPython's pad())
                int left = missing / 2 + (missing & width & 1);
                yield f.repeat(left) + s + f.repeat(missing - left);
            }
        };
    }

    private static PyList partition(String s, String sep, boolean first) {
        int at = first ? s.indexOf(sep) : s.lastIndexOf(sep);
        List<Object> out = new ArrayList<>();
        if (at < 0) {
            out.addAll(first ? List.of(s, "", "") : List.of("", "", s));
        } else {
            out.addAll(List.of(s.substring(0, at), sep, s.substring(at + sep.length())));
        }
        return new PyList(out);
    }

    /** str.format with "{}", "{0}" and "{name}" fields (no format specs), "{{" and "}}" as literal braces. */
    private static String format(String s, Arguments a) {
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{' && i + 1 < s.length() && s.charAt(i + 1) == '{') {
                sb.append('{');
                i++;
            } else if (c == '}' && i + 1 < s.length() && s.charAt(i + 1) == '}') {
                sb.append('}');
                i++;
            } else if (c == '{') {
                int close = s.indexOf('}', i);
                if (close < 0) {
                    throw new ELException("single '{' encountered in format string");
                }
                String field = s.substring(i + 1, close);
                Object value = field.isEmpty() ? a.get(auto++, null)
                        : field.chars().allMatch(Character::isDigit) ? a.get(Integer.parseInt(field), null) : a.get(-1, field);
                sb.append(PythonValues.str(value));
                i = close;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isText(Object o) {
        return o instanceof String || o instanceof SafeString;
    }

    /** Positional and keyword arguments of one call, looked up the way Python binds them. */
    static final class Arguments {
        private final List<Object> positional = new ArrayList<>();
        private final Map<String, Object> named = new HashMap<>();

        Arguments(Object[] params) {
            for (Object p : params) {
                if (p instanceof NamedParameter np) {
                    named.put(np.getName(), np.getValue());
                } else {
                    positional.add(p);
                }
            }
        }

        Object get(int index, String name) {
            if (index >= 0 && index < positional.size()) {
                return positional.get(index);
            }
            if (name != null && named.containsKey(name)) {
                return named.get(name);
            }
            throw new ELException("missing argument " + (name != null ? "'" + name + "'" : "#" + (index + 1)));
        }

        private boolean has(int index, String name) {
            return (index >= 0 && index < positional.size()) || named.containsKey(name);
        }

        String string(int index, String name) {
            return PythonValues.str(get(index, name));
        }

        String optionalString(int index, String name) {
            if (!has(index, name)) {
                return null;
            }
            Object v = get(index, name);
            return v == null ? null : PythonValues.str(v);
        }

        long optionalLong(int index, String name, long fallback) {
            if (!has(index, name)) {
                return fallback;
            }
            Long v = PythonValues.toLong(get(index, name));
            return v == null ? fallback : v;
        }
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        if (isText(base)) {
            throw new ELException("'str' object does not support item assignment");
        }
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        if (isText(base)) {
            context.setPropertyResolved(true);
            return true;
        }
        return false;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return isText(base) ? Object.class : null;
    }
}
