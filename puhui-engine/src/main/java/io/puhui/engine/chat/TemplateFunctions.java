// The global functions chat templates call: transformers' raise_exception(message) and strftime_now(format), and
// Jinja2's dict(**kwargs).
// Jinjava calls functions statically, so the render's clock travels in a context variable.
package io.puhui.engine.chat;

import com.hubspot.jinjava.el.ext.NamedParameter;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.lang.reflect.Method;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jinjava.javax.el.ELException;

final class TemplateFunctions {
    /** Context variable holding the Clock of the current render. */
    static final String CLOCK = "__chat_template_clock__";

    private TemplateFunctions() {
    }

    /** Raised by a template's own raise_exception call; its message is the template's text. */
    static final class TemplateRaised extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TemplateRaised(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Stands for a global function where a template asks "strftime_now is defined" (Llama 3.2 does); Jinjava
     * resolves the call itself through the function definitions.
     */
    record Marker(String name) {
        @Override
        public String toString() {
            return "<function " + name + ">";
        }
    }

    static List<ELFunctionDefinition> definitions() {
        return List.of(define("raise_exception", String.class), define("strftime_now", String.class),
                define("dict", Object[].class));
    }

    private static ELFunctionDefinition define(String name, Class<?> parameter) {
        try {
            Method m = TemplateFunctions.class.getDeclaredMethod(name, parameter);
            m.setAccessible(true); // this class is package-private; Jinjava invokes reflectively
            return new ELFunctionDefinition("", name, m);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    static String raise_exception(String message) {
        throw new TemplateRaised(message);
    }

    /** Jinja2's dict(a=1, b=2): keyword arguments become the entries. */
    static Map<String, Object> dict(Object... arguments) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Object a : arguments) {
            if (!(a instanceof NamedParameter p)) {
                throw new ELException("dict() takes keyword arguments only, e.g. dict(name='x')");
            }
            out.put(p.getName(), p.getValue());
        }
        return out;
    }

    static String strftime_now(String format) {
        JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
        Object clock = interpreter == null ? null : interpreter.getContext().get(CLOCK);
        ZonedDateTime now = ZonedDateTime.now(clock instanceof Clock c ? c : Clock.systemDefaultZone());
        return strftime(now, format);
    }

    /** Python's time.strftime with the C locale, for the directives chat templates use. */
    static String strftime(ZonedDateTime t, String format) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                sb.append(c);
                continue;
            }
            char d = format.charAt(++i);
            switch (d) {
                case 'a' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'b', 'h' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'd' -> sb.append(two(t.getDayOfMonth()));
                case 'e' -> sb.append(String.format("%2d", t.getDayOfMonth()));
                case 'm' -> sb.append(two(t.getMonthValue()));
                case 'y' -> sb.append(two(t.getYear() % 100));
                case 'Y' -> sb.append(t.getYear());
                case 'H' -> sb.append(two(t.getHour()));
                case 'I' -> sb.append(two(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12));
                case 'M' -> sb.append(two(t.getMinute()));
                case 'S' -> sb.append(two(t.getSecond()));
                case 'p' -> sb.append(t.getHour() < 12 ? "AM" : "PM");
                case 'j' -> sb.append(String.format("%03d", t.getDayOfYear()));
                case 'w' -> sb.append(t.getDayOfWeek().getValue() % 7);
                case 'u' -> sb.append(t.getDayOfWeek().getValue());
                case 'z' -> sb.append(t.getOffset().getId().equals("Z") ? "+0000" : t.getOffset().getId().replace(":", ""));
                case 'Z' -> sb.append(t.getZone().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'F' -> sb.append(strftime(t, "%Y-%m-%d"));
                case 'T' -> sb.append(strftime(t, "%H:%M:%S"));
                case '%' -> sb.append('%');
                default -> sb.append('%').append(d);
            }
        }
        return sb.toString();
    }

    private static String two(int v) {
        return v < 10 ? "0" + v : Integer.toString(v);
    }
}
