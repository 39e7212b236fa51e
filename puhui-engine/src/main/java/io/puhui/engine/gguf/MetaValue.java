// One typed GGUF metadata value. The GGUF type is kept so that files can be rewritten byte for byte.
//
// Java representation: UINT8/INT8 -> Byte, UINT16/INT16 -> Short, UINT32/INT32 -> Integer,
// UINT64/INT64 -> Long, FLOAT32 -> Float, FLOAT64 -> Double, BOOL -> Boolean, STRING -> String;
// arrays -> byte[], short[], int[], long[], float[], double[], boolean[], String[], or MetaValue[] for nested arrays.
package io.puhui.engine.gguf;

import java.util.Arrays;
import java.util.Objects;

public record MetaValue(ValueType type, ValueType elementType, Object value) {

    public MetaValue {
        Objects.requireNonNull(type);
        Objects.requireNonNull(value);
        if (type == ValueType.ARRAY) {
            Objects.requireNonNull(elementType, "array needs an element type");
        }
    }

    public static MetaValue of(ValueType type, Object value) {
        return new MetaValue(type, null, value);
    }

    public static MetaValue string(String s) {
        return new MetaValue(ValueType.STRING, null, s);
    }

    public static MetaValue uint32(int v) {
        return new MetaValue(ValueType.UINT32, null, v);
    }

    public static MetaValue int32(int v) {
        return new MetaValue(ValueType.INT32, null, v);
    }

    public static MetaValue float32(float v) {
        return new MetaValue(ValueType.FLOAT32, null, v);
    }

    public static MetaValue bool(boolean v) {
        return new MetaValue(ValueType.BOOL, null, v);
    }

    public static MetaValue array(ValueType elementType, Object array) {
        return new MetaValue(ValueType.ARRAY, elementType, array);
    }

    public boolean isInteger() {
        return switch (type) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** The value as a long, treating unsigned types as unsigned. */
    public long asLong() {
        return switch (type) {
            case UINT8 -> Byte.toUnsignedLong((Byte) value);
            case INT8 -> (Byte) value;
            case UINT16 -> Short.toUnsignedLong((Short) value);
            case INT16 -> (Short) value;
            case UINT32 -> Integer.toUnsignedLong((Integer) value);
            case INT32 -> (Integer) value;
            case UINT64, INT64 -> (Long) value;
            case BOOL -> ((Boolean) value) ? 1 : 0;
            case FLOAT32 -> (long) (float) (Float) value;
            case FLOAT64 -> (long) (double) (Double) value;
            default -> throw new IllegalStateException("not a number: " + type);
        };
    }

    public double asDouble() {
        return switch (type) {
            case FLOAT32 -> (Float) value;
            case FLOAT64 -> (Double) value;
            default -> asLong();
        };
    }

    public int arrayLength() {
        return switch (value) {
            case byte[] a -> a.length;
            case short[] a -> a.length;
            case int[] a -> a.length;
            case long[] a -> a.length;
            case float[] a -> a.length;
            case double[] a -> a.length;
            case boolean[] a -> a.length;
            case Object[] a -> a.length;
            default -> throw new IllegalStateException("not an array: " + type);
        };
    }

    @Override
    public String toString() {
        if (type != ValueType.ARRAY) {
            return type == ValueType.STRING ? '"' + (String) value + '"' : String.valueOf(value);
        }
        String body = switch (value) {
            case byte[] a -> Arrays.toString(a);
            case short[] a -> Arrays.toString(a);
            case int[] a -> Arrays.toString(a);
            case long[] a -> Arrays.toString(a);
            case float[] a -> Arrays.toString(a);
            case double[] a -> Arrays.toString(a);
            case boolean[] a -> Arrays.toString(a);
            case Object[] a -> Arrays.toString(a);
            default -> String.valueOf(value);
        };
        return elementType + "[" + arrayLength() + "] " + body;
    }
}
