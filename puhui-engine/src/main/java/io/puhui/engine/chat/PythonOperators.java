// The arithmetic operators with the meaning Python gives them for strings and lists, which chat templates use
// ("    " * depth, list + [item], "a" ~ True); Jinjava's versions coerce to numbers or print Java forms.
package io.puhui.engine.chat;

import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.objects.collections.PyList;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;

final class PythonOperators {
    private PythonOperators() {
    }

    /** "+": numbers add, lists and strings concatenate. Undefined/None on one side yields the other side. */
    static final Binary ADD = new Binary("+") {
        @Override
        Object apply(Object a, Object b) {
            if (a == null) {
                return b;
            }
            if (b == null) {
                return a;
            }
            if (isText(a) || isText(b)) {
                return PythonValues.str(a) + PythonValues.str(b);
            }
            if (a instanceof Collection<?> ca) {
                List<Object> out = new ArrayList<>(ca);
                if (b instanceof Collection<?> cb) {
                    out.addAll(cb);
                } else {
                    out.add(b);
                }
                return new PyList(out);
            }
            if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
                Map<Object, Object> out = new LinkedHashMap<>(ma);
                out.putAll(mb);
                return out;
            }
            if (isNumber(a) && isNumber(b)) {
                if (isIntegral(a) && isIntegral(b)) {
                    return bigOrLong(toBig(a).add(toBig(b)));
                }
                return toDouble(a) + toDouble(b);
            }
            throw new ELException("unsupported operand type(s) for +: '" + PythonValues.typeName(a)
                    + "' and '" + PythonValues.typeName(b) + "'");
        }
    };

    /** "*": numbers multiply; a string or list times an integer repeats it. */
    static final Binary MUL = new Binary("*") {
        @Override
        Object apply(Object a, Object b) {
            if (isIntegral(b) && !isNumber(a) && a != null) {
                return repeat(a, PythonValues.toLong(b));
            }
            if (isIntegral(a) && !isNumber(b) && b != null) {
                return repeat(b, PythonValues.toLong(a));
            }
            if (isNumber(a) && isNumber(b)) {
                if (isIntegral(a) && isIntegral(b)) {
                    return bigOrLong(toBig(a).multiply(toBig(b)));
                }
                return toDouble(a) * toDouble(b);
            }
            throw new ELException("unsupported operand type(s) for *: '" + PythonValues.typeName(a)
                    + "' and '" + PythonValues.typeName(b) + "'");
        }

        private Object repeat(Object seq, long times) {
            int n = (int) Math.max(0, Math.min(times, 1_000_000));
            if (isText(seq)) {
                return PythonValues.str(seq).repeat(n);
            }
            if (seq instanceof Collection<?> c) {
                List<Object> out = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    out.addAll(c);
                }
                return new PyList(out);
            }
            throw new ELException("can't multiply sequence of type '" + PythonValues.typeName(seq) + "'");
        }
    };

    /** "%": Python's modulo (the result takes the divisor's sign), or printf-style formatting when the left is a str. */
    static final Binary MOD = new Binary("%") {
        @Override
        Object apply(Object a, Object b) {
            if (isText(a)) {
                return PercentFormat.format(PythonValues.str(a), b);
            }
            if (isNumber(a) && isNumber(b)) {
                if (isIntegral(a) && isIntegral(b)) {
                    BigInteger divisor = toBig(b);
                    if (divisor.signum() == 0) {
                        throw new ELException("integer modulo by zero");
                    }
                    BigInteger r = toBig(a).mod(divisor.abs());
                    return bigOrLong(divisor.signum() < 0 && r.signum() != 0 ? r.add(divisor) : r);
                }
                double x = toDouble(a);
                double y = toDouble(b);
                if (y == 0) {
                    throw new ELException("float modulo by zero");
                }
                return x - y * Math.floor(x / y);
            }
            throw new ELException("unsupported operand type(s) for %: '" + PythonValues.typeName(a)
                    + "' and '" + PythonValues.typeName(b) + "'");
        }
    };

    /** "~": the Python str() of both sides joined. */
    static final Binary CONCAT = new Binary("~") {
        @Override
        Object apply(Object a, Object b) {
            return PythonValues.str(a) + PythonValues.str(b);
        }
    };

    abstract static class Binary implements AstBinary.Operator {
        private final String symbol;

        Binary(String symbol) {
            this.symbol = symbol;
        }

        abstract Object apply(Object a, Object b);

        @Override
        public Object eval(Bindings bindings, ELContext context, AstNode left, AstNode right) {
            return apply(left.eval(bindings, context), right.eval(bindings, context));
        }

        @Override
        public String toString() {
            return symbol;
        }
    }

    private static boolean isText(Object o) {
        return o instanceof String || o instanceof SafeString;
    }

    private static boolean isNumber(Object o) {
        return o instanceof Number || o instanceof Boolean;
    }

    private static boolean isIntegral(Object o) {
        return o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte
                || o instanceof BigInteger || o instanceof Boolean;
    }

    private static BigInteger toBig(Object o) {
        return o instanceof BigInteger b ? b : BigInteger.valueOf(PythonValues.toLong(o));
    }

    private static Object bigOrLong(BigInteger b) {
        return b.bitLength() < 64 ? (Object) b.longValue() : b;
    }

    private static double toDouble(Object o) {
        return o instanceof Boolean b ? (b ? 1 : 0) : o instanceof BigDecimal d ? d.doubleValue() : ((Number) o).doubleValue();
    }
}
