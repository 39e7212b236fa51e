// Personal information that must not leak from a model's answer: mainland identity numbers (with their check
// digit and a real birth date), mobile numbers and bank card numbers (Luhn).
package io.puhui.server.safety;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

final class Patterns {
    static final String CATEGORY = "personal-info";
    /** Longest text a pattern can match, so a stream keeps this much of its tail between chunks. */
    static final int MAX_LENGTH = 23;

    private static final Pattern ID = Pattern.compile("(?<![0-9A-Za-z])[1-9]\\d{5}(?:19|20)\\d{2}\\d{2}\\d{2}\\d{3}[0-9Xx](?![0-9A-Za-z])");
    private static final Pattern MOBILE = Pattern.compile("(?<![0-9])(?:\\+?86[- ]?)?1[3-9]\\d[- ]?\\d{4}[- ]?\\d{4}(?![0-9])");
    private static final Pattern CARD = Pattern.compile("(?<![0-9])(?:\\d[ -]?){15,18}\\d(?![0-9])");
    private static final int[] ID_WEIGHTS = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    private static final char[] ID_CHECK = "10X98765432".toCharArray();

    private Patterns() {
    }

    /** A pattern match: its name and where it ends in {@code text}. */
    record Match(String name, int end) {
    }

    static List<Match> find(CharSequence text) {
        List<Match> out = new ArrayList<>();
        Matcher m = ID.matcher(text);
        while (m.find()) {
            if (validId(m.group())) {
                out.add(new Match("identity-number", m.end()));
            }
        }
        m = MOBILE.matcher(text);
        while (m.find()) {
            out.add(new Match("mobile-number", m.end()));
        }
        m = CARD.matcher(text);
        while (m.find()) {
            String digits = m.group().replaceAll("[ -]", "");
            if (digits.length() >= 16 && digits.length() <= 19 && luhn(digits) && !validId(digits)) {
                out.add(new Match("bank-card-number", m.end()));
            }
        }
        return out;
    }

    static boolean validId(String s) {
        if (s.length() != 18) {
            return false;
        }
        int sum = 0;
        for (int i = 0; i < 17; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
            sum += (c - '0') * ID_WEIGHTS[i];
        }
        if (Character.toUpperCase(s.charAt(17)) != ID_CHECK[sum % 11]) {
            return false;
        }
        try {
            LocalDate born = LocalDate.of(Integer.parseInt(s.substring(6, 10)), Integer.parseInt(s.substring(10, 12)),
                    Integer.parseInt(s.substring(12, 14)));
            return born.getYear() >= 1900;
        } catch (DateTimeException e) {
            return false;
        }
    }

    static boolean luhn(String digits) {
        int sum = 0;
        boolean twice = false;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
            if (twice) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            twice = !twice;
        }
        return sum % 10 == 0;
    }
}
