// Jinja2's for-loop, replacing Jinjava's: it honours "for x in xs if cond" (loop.last then refers to the filtered
// items), unpacks pairs and tuples, iterates dicts by key, offers loop.previtem/nextitem, and supports {% else %}.
package io.puhui.engine.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateSyntaxException;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

final class LoopTag implements Tag {
    private static final long serialVersionUID = 1L;
    private static final Pattern HEADER = Pattern.compile(
            "\\s*\\(?\\s*([A-Za-z_]\\w*(?:\\s*,\\s*[A-Za-z_]\\w*)*)\\s*,?\\s*\\)?\\s+in\\s+(\\S.*)", Pattern.DOTALL);

    @Override
    public String getName() {
        return "for";
    }

    @Override
    public String getEndTagName() {
        return "endfor";
    }

    @Override
    @SuppressWarnings("try") // the scope only needs closing
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
        Header header = Header.parse(tagNode, interpreter);
        int line = tagNode.getLineNumber();
        Object collection = interpreter.resolveELExpression(header.iterable(), line);

        List<Node> body = new ArrayList<>();
        List<Node> otherwise = new ArrayList<>();
        List<Node> target = body;
        for (Node child : tagNode.getChildren()) {
            if (child instanceof TagNode t && t.getTag() != null && "else".equals(t.getName())) {
                target = otherwise;
                continue;
            }
            target.add(child);
        }

        StringBuilder out = new StringBuilder();
        try (var scope = interpreter.enterScope()) {
            List<Object> items = new ArrayList<>();
            for (Object item : PythonValues.iterate(collection)) {
                Object value = interpreter.wrap(item);
                if (header.condition() != null) {
                    bind(header.targets(), value, interpreter, tagNode);
                    if (!PythonValues.isTruthy(interpreter.resolveELExpression(header.condition(), line))) {
                        continue;
                    }
                }
                items.add(value);
            }
            TemplateLoop loop = new TemplateLoop(items);
            interpreter.getContext().put("loop", loop);
            while (loop.hasNext()) {
                bind(header.targets(), loop.next(), interpreter, tagNode);
                for (Node node : body) {
                    out.append(node.render(interpreter).getValue());
                    if (loop.isContinued()) {
                        break; // {% continue %} or {% break %}: skip the rest of this iteration
                    }
                }
            }
            if (items.isEmpty()) {
                for (Node node : otherwise) {
                    out.append(node.render(interpreter).getValue());
                }
            }
        }
        return out.toString();
    }

    private static void bind(List<String> targets, Object value, JinjavaInterpreter interpreter, TagNode tagNode) {
        if (targets.size() == 1) {
            interpreter.getContext().put(targets.getFirst(), value);
            return;
        }
        List<?> parts = switch (value) {
            case Map.Entry<?, ?> e -> Arrays.asList(e.getKey(), e.getValue());
            case Collection<?> c -> new ArrayList<>(c);
            case Object[] a -> Arrays.asList(a);
            case null, default -> null;
        };
        if (parts == null || parts.size() != targets.size()) {
            throw new TemplateSyntaxException(interpreter, tagNode.getHelpers().strip(),
                    "cannot unpack " + PythonValues.repr(value) + " into " + String.join(", ", targets));
        }
        for (int i = 0; i < targets.size(); i++) {
            interpreter.getContext().put(targets.get(i), interpreter.wrap(parts.get(i)));
        }
    }

    /** "targets in iterable [if condition]", split where Jinja2's grammar splits it. */
    record Header(List<String> targets, String iterable, String condition) {
        static Header parse(TagNode tagNode, JinjavaInterpreter interpreter) {
            String helpers = tagNode.getHelpers();
            Matcher m = HEADER.matcher(helpers);
            if (!m.matches()) {
                throw new TemplateSyntaxException(interpreter, helpers.strip(),
                        "for-loop should read 'for item in items' or 'for key, value in items', got: for" + helpers);
            }
            List<String> targets = Arrays.stream(m.group(1).split(",")).map(String::strip).toList();
            String rest = m.group(2).strip();
            if (rest.endsWith(" recursive") || rest.equals("recursive")) {
                throw new TemplateSyntaxException(interpreter, helpers.strip(), "recursive for-loops are not supported");
            }
            int at = topLevelKeyword(rest, "if");
            return at < 0 ? new Header(targets, rest, null)
                    : new Header(targets, rest.substring(0, at).strip(), rest.substring(at + 2).strip());
        }

        /** Index of a keyword standing alone outside strings and brackets, or -1. */
        private static int topLevelKeyword(String expr, String word) {
            int depth = 0;
            for (int i = 0; i < expr.length(); i++) {
                char c = expr.charAt(i);
                if (c == '\'' || c == '"') {
                    for (i++; i < expr.length() && expr.charAt(i) != c; i++) {
                        if (expr.charAt(i) == '\\') {
                            i++;
                        }
                    }
                } else if (c == '(' || c == '[' || c == '{') {
                    depth++;
                } else if (c == ')' || c == ']' || c == '}') {
                    depth--;
                } else if (depth == 0 && expr.startsWith(word, i)
                        && (i == 0 || !Character.isJavaIdentifierPart(expr.charAt(i - 1)))
                        && (i + word.length() == expr.length()
                                || !Character.isJavaIdentifierPart(expr.charAt(i + word.length())))) {
                    return i;
                }
            }
            return -1;
        }
    }
}
