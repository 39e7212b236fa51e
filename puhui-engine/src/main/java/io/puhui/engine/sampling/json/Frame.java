// One open object or array, immutable so that parser branches and trie-walk states share their stacks.
package io.puhui.engine.sampling.json;

final class Frame {
    final Shape container; // Shape.Obj or Shape.Arr
    /** Objects: index of the next property that may come. Arrays: elements begun. */
    final int index;
    final Frame parent;
    /** Bytes needed to finish the document once the value now being written inside this frame is complete. */
    final int after;

    Frame(Shape container, int index, Frame parent) {
        this.container = container;
        this.index = index;
        this.parent = parent;
        int outer = after(parent);
        if (container instanceof Shape.Obj o) {
            after = Shape.add(o.free() ? 1 : o.rest[index], outer);
        } else {
            Shape.Arr a = (Shape.Arr) container;
            long missing = Math.max(0, a.minItems - index);
            int own = (int) Math.min(Shape.INFINITE, missing * (a.items.minLength + 1L) + 1);
            after = Shape.add(own, outer);
        }
    }

    static int after(Frame f) {
        return f == null ? 0 : f.after;
    }

    static boolean same(Frame a, Frame b) {
        while (a != b) {
            if (a == null || b == null || a.container != b.container || a.index != b.index) {
                return false;
            }
            a = a.parent;
            b = b.parent;
        }
        return true;
    }
}
