// The ordered key/value metadata of a GGUF file, with typed accessors that say which key is missing or wrong.
package io.puhui.engine.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

public final class Metadata {
    private final LinkedHashMap<String, MetaValue> entries;

    public Metadata() {
        this.entries = new LinkedHashMap<>();
    }

    public Metadata(Map<String, MetaValue> entries) {
        this.entries = new LinkedHashMap<>(entries);
    }

    public Metadata copy() {
        return new Metadata(entries);
    }

    public Map<String, MetaValue> entries() {
        return Collections.unmodifiableMap(entries);
    }

    public Set<String> keys() {
        return Collections.unmodifiableSet(entries.keySet());
    }

    public int size() {
        return entries.size();
    }

    public boolean contains(String key) {
        return entries.containsKey(key);
    }

    public Optional<MetaValue> get(String key) {
        return Optional.ofNullable(entries.get(key));
    }

    public Metadata put(String key, MetaValue value) {
        entries.put(key, value);
        return this;
    }

    public Metadata putString(String key, String value) {
        return put(key, MetaValue.string(value));
    }

    public Metadata putUInt32(String key, int value) {
        return put(key, MetaValue.uint32(value));
    }

    public Metadata putFloat(String key, float value) {
        return put(key, MetaValue.float32(value));
    }

    public Metadata putBool(String key, boolean value) {
        return put(key, MetaValue.bool(value));
    }

    public Metadata remove(String key) {
        entries.remove(key);
        return this;
    }

    private MetaValue require(String key) {
        MetaValue v = entries.get(key);
        if (v == null) {
            throw new GgufFormatException("missing metadata key '" + key + "'");
        }
        return v;
    }

    public String getString(String key) {
        MetaValue v = require(key);
        if (v.type() != ValueType.STRING) {
            throw new GgufFormatException("metadata '" + key + "' should be a string, is " + v.type());
        }
        return (String) v.value();
    }

    public Optional<String> findString(String key) {
        MetaValue v = entries.get(key);
        return v != null && v.type() == ValueType.STRING ? Optional.of((String) v.value()) : Optional.empty();
    }

    public long getLong(String key) {
        MetaValue v = require(key);
        if (!v.isInteger()) {
            throw new GgufFormatException("metadata '" + key + "' should be an integer, is " + v.type());
        }
        return v.asLong();
    }

    public int getInt(String key) {
        long v = getLong(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new GgufFormatException("metadata '" + key + "' = " + v + " is out of range");
        }
        return (int) v;
    }

    public int getInt(String key, int fallback) {
        return entries.containsKey(key) ? getInt(key) : fallback;
    }

    public Optional<Integer> findInt(String key) {
        return entries.containsKey(key) ? Optional.of(getInt(key)) : Optional.empty();
    }

    public float getFloat(String key) {
        MetaValue v = require(key);
        if (v.type() == ValueType.STRING || v.type() == ValueType.ARRAY) {
            throw new GgufFormatException("metadata '" + key + "' should be a number, is " + v.type());
        }
        return (float) v.asDouble();
    }

    public float getFloat(String key, float fallback) {
        return entries.containsKey(key) ? getFloat(key) : fallback;
    }

    public boolean getBool(String key, boolean fallback) {
        MetaValue v = entries.get(key);
        if (v == null) {
            return fallback;
        }
        if (v.type() != ValueType.BOOL) {
            throw new GgufFormatException("metadata '" + key + "' should be a bool, is " + v.type());
        }
        return (Boolean) v.value();
    }

    private MetaValue requireArray(String key, Class<?> javaType) {
        MetaValue v = require(key);
        if (v.type() != ValueType.ARRAY || !javaType.isInstance(v.value())) {
            throw new GgufFormatException("metadata '" + key + "' should be an array of "
                    + javaType.getComponentType().getSimpleName() + ", is " + v);
        }
        return v;
    }

    public String[] getStringArray(String key) {
        return (String[]) requireArray(key, String[].class).value();
    }

    public float[] getFloatArray(String key) {
        return (float[]) requireArray(key, float[].class).value();
    }

    /** An integer array of any width, widened to int (values of UINT32 arrays above 2^31 are not expected). */
    public int[] getIntArray(String key) {
        MetaValue v = require(key);
        if (v.type() != ValueType.ARRAY) {
            throw new GgufFormatException("metadata '" + key + "' should be an integer array, is " + v.type());
        }
        boolean unsigned = v.elementType() == ValueType.UINT8 || v.elementType() == ValueType.UINT16;
        return switch (v.value()) {
            case int[] a -> a;
            case byte[] a -> {
                int[] r = new int[a.length];
                for (int i = 0; i < a.length; i++) {
                    r[i] = unsigned ? a[i] & 0xFF : a[i];
                }
                yield r;
            }
            case short[] a -> {
                int[] r = new int[a.length];
                for (int i = 0; i < a.length; i++) {
                    r[i] = unsigned ? a[i] & 0xFFFF : a[i];
                }
                yield r;
            }
            case long[] a -> {
                int[] r = new int[a.length];
                for (int i = 0; i < a.length; i++) {
                    r[i] = Math.toIntExact(a[i]);
                }
                yield r;
            }
            default -> throw new GgufFormatException("metadata '" + key + "' should be an integer array, is " + v);
        };
    }
}
