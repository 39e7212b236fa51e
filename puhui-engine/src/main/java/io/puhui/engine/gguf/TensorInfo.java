// A tensor's entry in a GGUF file: name, shape (ne[0] is the row width), type and offset into the data section.
package io.puhui.engine.gguf;

import java.util.Arrays;

public record TensorInfo(String name, long[] shape, GgmlType type, long offset) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long byteSize() {
        return type.byteSize(elementCount());
    }

    /** Elements in one row (ne[0]). */
    public long rowWidth() {
        return shape.length == 0 ? 1 : shape[0];
    }

    /** Number of rows: the product of all dimensions but the first. */
    public long rowCount() {
        return elementCount() / Math.max(1, rowWidth());
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && Arrays.equals(shape, t.shape)
                && type == t.type && offset == t.offset;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + shapeString();
    }
}
