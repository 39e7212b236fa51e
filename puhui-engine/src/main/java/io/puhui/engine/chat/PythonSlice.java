// The expression node for Python slices, sequence[start:stop:step], on lists and strings.
// Jinjava has no step and treats out-of-range bounds differently; templates reverse lists with [::-1].
package io.puhui.engine.chat;

import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.objects.collections.PyList;
import java.util.ArrayList;
import java.util.List;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstRightValue;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;

final class PythonSlice extends AstRightValue {
    private final AstNode base;
    private final AstNode start;
    private final AstNode stop;
    private final AstNode step;

    PythonSlice(AstNode base, AstNode start, AstNode stop, AstNode step) {
        this.base = base;
        this.start = start;
        this.stop = stop;
        this.step = step;
    }

    @Override
    public Object eval(Bindings bindings, ELContext context) {
        Object seq = base.eval(bindings, context);
        Long from = start == null ? null : PythonValues.toLong(start.eval(bindings, context));
        Long to = stop == null ? null : PythonValues.toLong(stop.eval(bindings, context));
        Long by = step == null ? null : PythonValues.toLong(step.eval(bindings, context));
        return slice(seq, from, to, by);
    }

    static Object slice(Object seq, Long start, Long stop, Long step) {
        if (seq == null) {
            return null;
        }
        if (seq instanceof String || seq instanceof SafeString) {
            String s = PythonValues.str(seq);
            int[] cps = s.codePoints().toArray();
            StringBuilder sb = new StringBuilder();
            for (int i : indices(cps.length, start, stop, step)) {
                sb.appendCodePoint(cps[i]);
            }
            return sb.toString();
        }
        List<Object> items = PythonValues.iterate(seq);
        List<Object> out = new ArrayList<>();
        for (int i : indices(items.size(), start, stop, step)) {
            out.add(items.get(i));
        }
        return new PyList(out);
    }

    /** The positions Python's slice(start, stop, step).indices(length) visits. */
    static List<Integer> indices(int length, Long start, Long stop, Long step) {
        long by = step == null ? 1 : step;
        if (by == 0) {
            throw new ELException("slice step cannot be zero");
        }
        long lower = by > 0 ? 0 : -1;
        long upper = by > 0 ? length : length - 1;
        long from = start == null ? (by > 0 ? lower : upper) : clamp(start, length, lower, upper);
        long to = stop == null ? (by > 0 ? upper : lower) : clamp(stop, length, lower, upper);
        List<Integer> out = new ArrayList<>();
        for (long i = from; by > 0 ? i < to : i > to; i += by) {
            out.add((int) i);
        }
        return out;
    }

    private static long clamp(long index, int length, long lower, long upper) {
        if (index < 0) {
            index += length;
            return Math.max(index, lower);
        }
        return Math.min(index, upper);
    }

    @Override
    public void appendStructure(StringBuilder builder, Bindings bindings) {
        base.appendStructure(builder, bindings);
        builder.append("[");
        if (start != null) {
            start.appendStructure(builder, bindings);
        }
        builder.append(":");
        if (stop != null) {
            stop.appendStructure(builder, bindings);
        }
        if (step != null) {
            builder.append(":");
            step.appendStructure(builder, bindings);
        }
        builder.append("]");
    }

    @Override
    public int getCardinality() {
        return children().size();
    }

    @Override
    public AstNode getChild(int i) {
        return children().get(i);
    }

    private List<AstNode> children() {
        List<AstNode> out = new ArrayList<>(List.of(base));
        for (AstNode n : new AstNode[] {start, stop, step}) {
            if (n != null) {
                out.add(n);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "[::]";
    }
}
