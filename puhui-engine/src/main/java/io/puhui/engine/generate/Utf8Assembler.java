// Turns token bytes into text as they stream: a character split across tokens (common for Chinese with
// byte-level vocabularies) is held until its last byte arrives, so no half character is ever emitted.
package io.puhui.engine.generate;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

public final class Utf8Assembler {
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    /** Adds bytes and returns the text that is now complete (possibly empty). */
    public String accept(byte[] bytes) {
        pending.writeBytes(bytes);
        byte[] all = pending.toByteArray();
        int complete = completePrefix(all);
        pending.reset();
        pending.write(all, complete, all.length - complete);
        return new String(all, 0, complete, StandardCharsets.UTF_8);
    }

    /** Whatever is still held, with invalid bytes as U+FFFD; call at the end of a stream. */
    public String flush() {
        String s = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return s;
    }

    /** Length of the prefix that does not end inside a multi-byte sequence that could still be completed. */
    static int completePrefix(byte[] b) {
        int n = b.length;
        // look back at most 3 bytes for the lead byte of an unfinished sequence
        for (int back = 1; back <= Math.min(3, n); back++) {
            int c = b[n - back] & 0xFF;
            if ((c & 0xC0) == 0x80) {
                continue; // continuation byte: keep looking for the lead
            }
            int need = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 1;
            return need > back ? n - back : n;
        }
        return n;
    }
}
