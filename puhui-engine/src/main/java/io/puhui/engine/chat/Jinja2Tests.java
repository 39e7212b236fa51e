// The "is" tests whose Jinjava version disagrees with Jinja2 on Python types (a str is iterable, a bool is not a str).
package io.puhui.engine.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.objects.SafeString;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

final class Jinja2Tests {
    private Jinja2Tests() {
    }

    static List<ExpTest> all() {
        return List.of(
                // null stands for Jinja2's Undefined, which iterates as empty (Hermes' schema macro relies on it)
                test("iterable", v -> v == null || v instanceof String || v instanceof SafeString || v instanceof Collection
                        || v instanceof Map || v instanceof Iterator || v instanceof Object[]),
                test("sequence", v -> v instanceof String || v instanceof SafeString || v instanceof Collection
                        || v instanceof Map || v instanceof Object[]),
                test("string", v -> v instanceof String || v instanceof SafeString),
                test("mapping", v -> v instanceof Map),
                test("number", v -> v instanceof Number || v instanceof Boolean),
                test("integer", v -> v instanceof Long || v instanceof Integer || v instanceof Short
                        || v instanceof Byte || v instanceof BigInteger),
                test("float", v -> v instanceof Double || v instanceof Float || v instanceof BigDecimal),
                test("boolean", v -> v instanceof Boolean),
                test("true", v -> Boolean.TRUE.equals(v)),
                test("false", v -> Boolean.FALSE.equals(v)),
                test("none", v -> v == null));
    }

    private static ExpTest test(String name, Predicate<Object> predicate) {
        return new ExpTest() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
                return predicate.test(var);
            }
        };
    }
}
