// How Python would print, compare and iterate template values; chat templates are written against Python's str() and repr().
// Jinjava cannot tell None from an undefined name (both are Java null), so null prints as "" like Jinja2's Undefined.
package io.puhui.engine.chat;

import com.hubspot.jinjava.objects.SafeString;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELException;

final class PythonValues {
    private PythonValues() {
    }

    /** Python's {@code str(value)}, except that None/undefined is the empty string. */
    static String str(Object value) {
        return switch (value) {
            case null -> "";
            case String s -> s;
            case SafeString s -> s.getValue();
            case CharSequence s -> s.toString();
            default -> repr(value);
        };
    }

    /** Python's {@code repr(value)}: what a list or dict shows for its elements. */
    static String repr(Object value) {
        return switch (value) {
            case null -> "None";
            case String s -> quote(s);
            case SafeString s -> quote(s.getValue());
            case Boolean b -> b ? "True" : "False";
            case Double d -> floatRepr(d);
            case Float f -> floatRepr(f.doubleValue());
            case BigDecimal d -> floatRepr(d.doubleValue());
            case Number n -> n.toString();
            case Map<?, ?> map -> {
                StringBuilder sb = new StringBuilder("{");
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!first) {
                        sb.append(", ");
                    }
                    first = false;
                    sb.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                }
                yield sb.append('}').toString();
            }
            case Map.Entry<?, ?> e -> "(" + repr(e.getKey()) + ", " + repr(e.getValue()) + ")";
            case Collection<?> c -> {
                StringBuilder sb = new StringBuilder("[");
                boolean first = true;
                for (Object o : c) {
                    if (!first) {
                        sb.append(", ");
                    }
                    first = false;
                    sb.append(repr(o));
                }
                yield sb.append(']').toString();
            }
            case Object[] a -> repr(List.of(a));
            default -> value.toString();
        };
    }

    /** Python's repr of a str: single quotes unless the text holds a single quote and no double quote. */
    static String quote(String s) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder(s.length() + 2).append(q);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c == q) {
                        sb.append('\\').append(c);
                    } else if (c < 0x20 || c == 0x7f) {
                        sb.append(String.format("\\x%02x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append(q).toString();
    }

    /**
     * Python's repr of a float: the shortest digits that round-trip (as Java's Double.toString gives them),
     * laid out as Python does: positional for exponents -4..15, otherwise "1e-05" / "1e+16".
     */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = exact.unscaledValue().toString();
        // decimal point position relative to the first digit, as in Python's float_repr
        int decpt = digits.length() - exact.scale();
        StringBuilder sb = new StringBuilder(d < 0 ? "-" : "");
        if (decpt > -4 && decpt <= 16) {
            if (decpt <= 0) {
                sb.append("0.").append("0".repeat(-decpt)).append(digits);
            } else if (decpt >= digits.length()) {
                sb.append(digits).append("0".repeat(decpt - digits.length())).append(".0");
            } else {
                sb.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
            }
        } else {
            sb.append(digits.charAt(0));
            if (digits.length() > 1) {
                sb.append('.').append(digits, 1, digits.length());
            }
            int exp = decpt - 1;
            sb.append('e').append(exp < 0 ? '-' : '+');
            String e = Integer.toString(Math.abs(exp));
            sb.append(e.length() < 2 ? "0" + e : e);
        }
        return sb.toString();
    }

    /** Python truthiness: None, False, 0, "" and empty containers are false. */
    static boolean isTruthy(Object value) {
        return switch (value) {
            case null -> false;
            case Boolean b -> b;
            case String s -> !s.isEmpty();
            case SafeString s -> !s.getValue().isEmpty();
            case Number n -> n.doubleValue() != 0;
            case Collection<?> c -> !c.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            case Object[] a -> a.length > 0;
            default -> true;
        };
    }

    /** The items a Python for-loop would visit: a dict gives its keys, a string its characters; None gives nothing. */
    static List<Object> iterate(Object value) {
        List<Object> out = new ArrayList<>();
        switch (value) {
            case null -> {
            }
            case Map<?, ?> m -> out.addAll(m.keySet());
            case String s -> s.codePoints().forEach(cp -> out.add(Character.toString(cp)));
            case SafeString s -> s.getValue().codePoints().forEach(cp -> out.add(Character.toString(cp)));
            case Iterable<?> it -> it.forEach(out::add);
            case Iterator<?> it -> it.forEachRemaining(out::add);
            case Object[] a -> out.addAll(List.of(a));
            default -> throw new ELException("'" + typeName(value) + "' object is not iterable");
        }
        return out;
    }

    /** An integer argument as Python would accept it (whole numbers only). */
    static Long toLong(Object value) {
        return switch (value) {
            case null -> null;
            case Long l -> l;
            case Integer i -> i.longValue();
            case Short s -> s.longValue();
            case Byte b -> b.longValue();
            case BigInteger b -> b.longValueExact();
            case Number n when n.doubleValue() == Math.rint(n.doubleValue()) -> n.longValue();
            case Boolean b -> b ? 1L : 0L;
            default -> throw new ELException("expected an integer, got " + typeName(value) + " " + repr(value));
        };
    }

    static String typeName(Object value) {
        return switch (value) {
            case null -> "NoneType";
            case String s -> "str";
            case SafeString s -> "str";
            case Boolean b -> "bool";
            case Double d -> "float";
            case Float f -> "float";
            case BigDecimal d -> "float";
            case Number n -> "int";
            case Map<?, ?> m -> "dict";
            case Collection<?> c -> "list";
            default -> value.getClass().getSimpleName();
        };
    }
}
