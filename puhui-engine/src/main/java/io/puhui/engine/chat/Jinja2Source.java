// Applies Jinja2's lexer-level rules to a template before Jinjava parses it: whitespace control and string escapes,
// where Jinjava differs from Jinja2 and chat templates depend on the exact bytes.
package io.puhui.engine.chat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites a Jinja2 source so that Jinjava, with its own whitespace options off, produces what Jinja2 produces with
 * {@code trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False} (the environment transformers uses).
 * Whitespace:
 * <ul>
 *   <li>newlines are normalised to "\n" and one trailing newline is dropped;</li>
 *   <li>{@code {%-} / {@code {{-} / {@code {#-} remove all whitespace before the tag, {@code -%}} etc. all after it;</li>
 *   <li>a block or comment tag alone on its line (lstrip_blocks) takes the spaces before it with it,
 *       unless it opens with {@code {%+};</li>
 *   <li>the first newline after a block or comment tag is removed (trim_blocks) unless it closes with {@code +%}}.</li>
 * </ul>
 * Comments are dropped. Tags are re-emitted without their +/- markers, padded with one space, and with any "}}"
 * outside string literals split to "} }" so that Jinjava's tag scanner, which does not balance braces, cannot end a
 * tag inside a nested dict literal. String literals in tags are decoded with Python's escape rules (Jinjava knows
 * only \n \t \r \b \f and quotes, and rejects the line continuation "\" + newline that Mistral's templates use)
 * and re-written with only backslashes and quotes escaped.
 */
final class Jinja2Source {
    private static final Pattern END_RAW = Pattern.compile("\\{%([-+]?)\\s*endraw\\s*([-+]?)%}");

    private Jinja2Source() {
    }

    static String prepare(String template) {
        String src = template.replace("\r\n", "\n").replace('\r', '\n');
        if (src.endsWith("\n")) {
            src = src.substring(0, src.length() - 1);
        }
        StringBuilder out = new StringBuilder(src.length());
        int n = src.length();
        int pos = 0;
        // Jinja2 lets lstrip_blocks act on a tag at the very start of a line only if the previous token ended it.
        boolean lineStarting = true;
        while (pos < n) {
            int start = nextTagStart(src, pos);
            if (start < 0) {
                out.append(src, pos, n);
                break;
            }
            char kind = src.charAt(start + 1);
            int afterOpen = start + 2;
            char sign = afterOpen < n ? src.charAt(afterOpen) : 0;
            boolean openMinus = sign == '-';
            boolean openPlus = sign == '+';
            String text = src.substring(pos, start);
            if (openMinus) {
                text = text.stripTrailing();
            } else if (!openPlus && kind != '{') {
                text = lstripBlock(text, lineStarting);
            }
            int contentStart = afterOpen + (openMinus || openPlus ? 1 : 0);

            if (kind == '#') {
                appendText(out, text);
                int close = src.indexOf("#}", contentStart);
                if (close < 0) {
                    throw syntax(src, start, "a comment {# is never closed with #}");
                }
                char before = close > contentStart ? src.charAt(close - 1) : 0;
                pos = afterClose(src, close + 2, before == '-', before == '+', true);
                lineStarting = pos > 0 && src.charAt(pos - 1) == '\n';
                continue;
            }

            int[] end = findTagEnd(src, contentStart, kind);
            if (end == null) {
                throw syntax(src, start, kind == '{' ? "'{{' is never closed with '}}'" : "'{%' is never closed with '%}'");
            }
            int contentEnd = end[0];
            boolean closeMinus = end[1] == '-';
            boolean closePlus = end[1] == '+';
            int closeEnd = contentEnd + (closeMinus || closePlus ? 1 : 0) + 2;
            String content = src.substring(contentStart, contentEnd);
            appendText(out, text);

            if (kind == '%' && content.strip().equals("raw")) {
                pos = afterClose(src, closeEnd, closeMinus, closePlus, true);
                Matcher m = END_RAW.matcher(src);
                if (!m.find(pos)) {
                    throw syntax(src, start, "{% raw %} is never closed with {% endraw %}");
                }
                String raw = src.substring(pos, m.start());
                if (m.group(1).equals("-")) {
                    raw = raw.stripTrailing();
                } else if (!m.group(1).equals("+")) {
                    raw = lstripBlock(raw, pos > 0 && src.charAt(pos - 1) == '\n');
                }
                out.append("{% raw %}").append(raw).append("{% endraw %}");
                pos = afterClose(src, m.end(), m.group(2).equals("-"), m.group(2).equals("+"), true);
                lineStarting = pos > 0 && src.charAt(pos - 1) == '\n';
                continue;
            }

            if (kind == '{') {
                // Jinjava takes a "-" or "+" at the start of an expression for a whitespace marker ({{ -1 }} printed 1)
                String expr = rewriteTagContent(content);
                boolean signed = expr.strip().startsWith("-") || expr.strip().startsWith("+");
                out.append(signed ? "{{ (" : "{{ ").append(expr).append(signed ? ") }}" : " }}");
            } else {
                out.append("{% ").append(rewriteTagContent(content)).append(" %}");
            }
            pos = afterClose(src, closeEnd, closeMinus, closePlus, kind == '%');
            lineStarting = pos > 0 && src.charAt(pos - 1) == '\n';
        }
        return out.toString();
    }

    /** The earliest "{{", "{%" or "{#" at or after from, as Jinja2's lexer finds it. */
    private static int nextTagStart(String src, int from) {
        int i = src.indexOf('{', from);
        while (i >= 0 && i + 1 < src.length()) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
            i = src.indexOf('{', i + 1);
        }
        return -1;
    }

    /**
     * Where the tag that began before from ends: {index of the closing delimiter (or of its sign), sign char or 0}.
     * Like Jinja2, string literals are skipped and a closing delimiter only counts outside brackets.
     */
    private static int[] findTagEnd(String src, int from, char kind) {
        char closeFirst = kind == '{' ? '}' : '%';
        int depth = 0;
        int n = src.length();
        for (int i = from; i < n; i++) {
            char c = src.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(src, i);
                if (i < 0) {
                    return null;
                }
                continue;
            }
            if (depth == 0) {
                if ((c == '-' || (c == '+' && kind == '%')) && i + 2 < n
                        && src.charAt(i + 1) == closeFirst && src.charAt(i + 2) == '}') {
                    return new int[] {i, c};
                }
                if (c == closeFirst && i + 1 < n && src.charAt(i + 1) == '}') {
                    return new int[] {i, 0};
                }
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
                depth--;
            }
        }
        return null;
    }

    /** Index of the closing quote of the string literal opening at start, or -1. */
    private static int skipString(String src, int start) {
        char q = src.charAt(start);
        for (int i = start + 1; i < src.length(); i++) {
            char c = src.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == q) {
                return i;
            }
        }
        return -1;
    }

    /** Position after a closing delimiter once "-" (all whitespace) or trim_blocks (one newline) has eaten what follows. */
    private static int afterClose(String src, int pos, boolean minus, boolean plus, boolean isBlock) {
        if (minus) {
            while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) {
                pos++;
            }
        } else if (isBlock && !plus && pos < src.length() && src.charAt(pos) == '\n') {
            pos++;
        }
        return pos;
    }

    /** lstrip_blocks: drop the spaces and tabs between the last line start and the tag when nothing else is there. */
    private static String lstripBlock(String text, boolean lineStarting) {
        int lineStart = text.lastIndexOf('\n') + 1;
        if (lineStart == 0 && !lineStarting) {
            return text;
        }
        for (int i = lineStart; i < text.length(); i++) {
            if (!Character.isWhitespace(text.charAt(i))) {
                return text;
            }
        }
        return text.substring(0, lineStart);
    }

    /** Emits literal text; a trailing "{" would fuse with the next tag's opener, so it is emitted as an expression. */
    private static void appendText(StringBuilder out, String text) {
        if (text.endsWith("{")) {
            out.append(text, 0, text.length() - 1).append("{{ '{' }}");
        } else {
            out.append(text);
        }
    }

    /** Splits "}}" outside strings and re-writes each string literal for Jinjava's scanner. */
    private static String rewriteTagContent(String content) {
        StringBuilder sb = new StringBuilder(content.length());
        for (int i = 0; i < content.length(); i++) {
            char c = content.charAt(i);
            if (c == '\'' || c == '"') {
                int close = skipString(content, i);
                String value = decodePythonEscapes(content.substring(i + 1, close));
                sb.append(c).append(value.replace("\\", "\\\\").replace(String.valueOf(c), "\\" + c)).append(c);
                i = close;
            } else {
                sb.append(c);
                if (c == '}' && i + 1 < content.length() && content.charAt(i + 1) == '}') {
                    sb.append(' ');
                }
            }
        }
        return sb.toString();
    }

    /** The value of a Jinja2 string literal's body: Python's unicode-escape rules, unknown escapes kept as written. */
    static String decodePythonEscapes(String body) {
        StringBuilder out = new StringBuilder(body.length());
        int i = 0;
        while (i < body.length()) {
            char c = body.charAt(i++);
            if (c != '\\' || i >= body.length()) {
                out.append(c);
                continue;
            }
            char e = body.charAt(i++);
            switch (e) {
                case '\n' -> { } // line continuation
                case '\\', '\'', '"' -> out.append(e);
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000b');
                case 'x', 'u', 'U' -> {
                    int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + digits > body.length() || !body.substring(i, i + digits).matches("[0-9a-fA-F]+")) {
                        throw new IllegalArgumentException("chat template syntax error: truncated \\" + e
                                + " escape in string literal \"" + body + "\"");
                    }
                    out.appendCodePoint(Integer.parseUnsignedInt(body.substring(i, i + digits), 16));
                    i += digits;
                }
                case 'N' -> {
                    int close = body.indexOf('}', i);
                    if (i >= body.length() || body.charAt(i) != '{' || close < 0) {
                        throw new IllegalArgumentException("chat template syntax error: malformed \\N{...} escape");
                    }
                    out.appendCodePoint(Character.codePointOf(body.substring(i + 1, close)));
                    i = close + 1;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int end = i;
                        while (end < body.length() && end < i + 2 && body.charAt(end) >= '0' && body.charAt(end) <= '7') {
                            end++;
                        }
                        out.appendCodePoint(Integer.parseInt(body.substring(i - 1, end), 8));
                        i = end;
                    } else {
                        out.append('\\').append(e); // Python keeps an unknown escape as written
                    }
                }
            }
        }
        return out.toString();
    }

    private static IllegalArgumentException syntax(String src, int offset, String what) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (src.charAt(i) == '\n') {
                line++;
            }
        }
        return new IllegalArgumentException("chat template syntax error at line " + line + ": " + what);
    }
}
