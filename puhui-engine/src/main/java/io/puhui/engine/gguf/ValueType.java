// Types of GGUF metadata values, with their on-disk ids.
package io.puhui.engine.gguf;

public enum ValueType {
    UINT8(0), INT8(1), UINT16(2), INT16(3), UINT32(4), INT32(5), FLOAT32(6), BOOL(7), STRING(8), ARRAY(9),
    UINT64(10), INT64(11), FLOAT64(12);

    public final int id;

    ValueType(int id) {
        this.id = id;
    }

    public static ValueType byId(int id) {
        for (ValueType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }

    /** Bytes of one scalar of this type on disk; -1 for STRING and ARRAY, whose size varies. */
    public int scalarSize() {
        return switch (this) {
            case UINT8, INT8, BOOL -> 1;
            case UINT16, INT16 -> 2;
            case UINT32, INT32, FLOAT32 -> 4;
            case UINT64, INT64, FLOAT64 -> 8;
            case STRING, ARRAY -> -1;
        };
    }
}
