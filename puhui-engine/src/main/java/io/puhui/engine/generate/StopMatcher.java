// Finds stop strings in streamed text, holding back only the tail that could still become a stop string.
package io.puhui.engine.generate;

import java.util.List;

public final class StopMatcher {
    private final List<String> stops;
    private final StringBuilder text = new StringBuilder();
    private int emitted;
    private boolean stopped;

    public StopMatcher(List<String> stops) {
        this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
    }

    /** Appends generated text; returns the part that is safe to show now. */
    public String accept(String delta) {
        if (stopped) {
            return "";
        }
        text.append(delta);
        int searchFrom = Math.max(0, text.length() - delta.length() - longest());
        int cut = -1;
        for (String s : stops) {
            int i = text.indexOf(s, searchFrom);
            if (i >= 0 && (cut < 0 || i < cut)) {
                cut = i;
            }
        }
        if (cut >= 0) {
            stopped = true;
            text.setLength(cut);
            return release(cut);
        }
        return release(text.length() - heldBack());
    }

    /** The rest of the text at the end of generation. */
    public String finish() {
        return release(text.length());
    }

    public boolean stopped() {
        return stopped;
    }

    /** All text up to (not including) a stop string. */
    public String text() {
        return text.toString();
    }

    private String release(int upTo) {
        upTo = Math.max(upTo, emitted);
        String out = text.substring(emitted, upTo);
        emitted = upTo;
        return out;
    }

    private int longest() {
        int m = 0;
        for (String s : stops) {
            m = Math.max(m, s.length());
        }
        return m;
    }

    private boolean endsWithPrefix(String s, int k) {
        int from = text.length() - k;
        for (int i = 0; i < k; i++) {
            if (text.charAt(from + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Length of the longest suffix of the text that is a proper prefix of some stop string. */
    private int heldBack() {
        int best = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, text.length()); k > best; k--) {
                if (endsWithPrefix(s, k)) {
                    best = k;
                    break;
                }
            }
        }
        return best;
    }
}
