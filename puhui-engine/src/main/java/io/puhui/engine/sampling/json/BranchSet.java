// All readings of the output that the schema still allows (usually one; more while anyOf alternatives agree).
package io.puhui.engine.sampling.json;

import java.util.Arrays;

final class BranchSet {
    private Branch[] items = new Branch[2];
    int size;
    /** The fewest bytes that finish the document, over all branches. */
    int cost = Shape.INFINITE;

    Branch get(int i) {
        return items[i];
    }

    /** A branch slot at the end of the set, to be filled by the caller (objects are reused). */
    Branch add() {
        if (size == items.length) {
            items = Arrays.copyOf(items, size * 2);
        }
        Branch b = items[size];
        if (b == null) {
            b = new Branch();
            items[size] = b;
        }
        size++;
        return b;
    }

    void remove(Branch b) {
        for (int i = size - 1; i >= 0; i--) {
            if (items[i] == b) {
                items[i] = items[size - 1];
                items[size - 1] = b;
                size--;
                return;
            }
        }
    }

    void reset(Shape root) {
        size = 0;
        add().start(root);
        cost = items[0].cost();
    }

    void copyFrom(BranchSet o) {
        size = 0;
        for (int i = 0; i < o.size; i++) {
            add().copyFrom(o.items[i]);
        }
        cost = o.cost;
    }

    /** This set becomes the readings of {@code src} followed by byte {@code b}. */
    void stepFrom(BranchSet src, int b) {
        size = 0;
        for (int i = 0; i < src.size; i++) {
            Branch t = add();
            t.copyFrom(src.items[i]);
            if (!t.step(b, this)) {
                remove(t);
            }
        }
        int best = Shape.INFINITE;
        for (int i = size - 1; i >= 0; i--) {
            Branch t = items[i];
            int c = t.cost();
            // a reading that can never be finished (a schema part with no finite value) is not kept
            if (c >= Shape.INFINITE || isDuplicate(i)) {
                remove(t);
            } else {
                best = Math.min(best, c);
            }
        }
        cost = best;
    }

    private boolean isDuplicate(int i) {
        for (int j = 0; j < i; j++) {
            if (items[j].sameAs(items[i])) {
                return true;
            }
        }
        return false;
    }

    boolean complete() {
        for (int i = 0; i < size; i++) {
            if (items[i].complete()) {
                return true;
            }
        }
        return false;
    }

    /** Whether some reading may still take more bytes (a finished document takes none). */
    boolean canContinue() {
        for (int i = 0; i < size; i++) {
            if (items[i].mode != Branch.DONE) {
                return true;
            }
        }
        return false;
    }
}
