// How long an idle model stays loaded, in Ollama's terms: seconds or "5m"/"1h"/"30s"; 0 unloads at once after the
// request, a negative value keeps it loaded for good.
package io.puhui.server.node;

import io.puhui.server.api.ApiException;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class KeepAlive {
    public static final Duration DEFAULT = Duration.ofMinutes(5);
    public static final Duration FOREVER = Duration.ofDays(365 * 100);
    private static final Pattern UNIT = Pattern.compile("(-?\\d+(?:\\.\\d+)?)(ms|s|m|h)?");

    private KeepAlive() {
    }

    /** Reads a keep_alive value (a JSON number of seconds or a duration string). */
    public static Duration parse(String text) {
        Matcher m = UNIT.matcher(text.trim());
        if (!m.matches()) {
            throw ApiException.badRequest("keep_alive", "'keep_alive' must be seconds or a duration like \"30s\", "
                    + "\"5m\" or \"1h\" (0 unloads at once, negative keeps loaded); got \"" + text + "\"");
        }
        double v = Double.parseDouble(m.group(1));
        if (v < 0) {
            return FOREVER;
        }
        String unit = m.group(2) == null ? "s" : m.group(2);
        double millis = switch (unit) {
            case "ms" -> v;
            case "m" -> v * 60_000;
            case "h" -> v * 3_600_000;
            default -> v * 1000;
        };
        return Duration.ofMillis((long) millis);
    }
}
