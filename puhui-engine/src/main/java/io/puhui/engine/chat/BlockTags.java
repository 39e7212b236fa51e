// Block tags chat templates use that Jinjava lacks: {% filter name %} applies a filter to a rendered block, and
// {% generation %} (transformers' marker for assistant text) renders its body unchanged.
package io.puhui.engine.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import java.util.List;

final class BlockTags {
    private BlockTags() {
    }

    static List<Tag> all() {
        return List.of(new FilterBlock(), new Generation());
    }

    private static String renderBody(TagNode tagNode, JinjavaInterpreter interpreter) {
        StringBuilder sb = new StringBuilder();
        for (Node child : tagNode.getChildren()) {
            sb.append(child.render(interpreter).getValue());
        }
        return sb.toString();
    }

    /** {@code {% filter trim %}...{% endfilter %}}; the filter may take arguments, e.g. {@code indent(2)}. */
    static final class FilterBlock implements Tag {
        private static final long serialVersionUID = 1L;
        private static final String BODY = "__filter_block_body__";

        @Override
        public String getName() {
            return "filter";
        }

        @Override
        @SuppressWarnings("try") // the scope only needs closing
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            String body = renderBody(tagNode, interpreter);
            try (var scope = interpreter.enterScope()) {
                interpreter.getContext().put(BODY, body);
                Object filtered = interpreter.resolveELExpression(BODY + "|" + tagNode.getHelpers().strip(),
                        tagNode.getLineNumber());
                return PythonValues.str(filtered);
            }
        }
    }

    static final class Generation implements Tag {
        private static final long serialVersionUID = 1L;

        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            return renderBody(tagNode, interpreter);
        }
    }
}
