// The progress line: what it shows, that it is redrawn in place at a limited rate, and that it ends its line.
package io.puhui.server.hub;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TerminalProgressTest {

    private static final long MIB = 1 << 20;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private long now;
    private final TerminalProgress bar = new TerminalProgress(out, () -> now);

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void showsPercentageSizesSpeedAndTimeLeft() {
        bar.progress(0, 100 * MIB);
        now = 2_000_000_000L;
        bar.progress(20 * MIB, 100 * MIB);

        String last = text().substring(text().lastIndexOf('\r') + 1);
        assertThat(last).contains(" 20% 20.0/100.0 MiB").contains("10.0 MiB/s").contains("ETA 0:08");
    }

    @Test
    void redrawsAtMostTenTimesASecondAndEndsWithANewline() {
        for (int i = 0; i <= 1000; i++) {
            now = i * 1_000_000L; // 1000 updates over one second
            bar.progress(i * MIB / 10, 100 * MIB);
        }
        long redraws = text().chars().filter(c -> c == '\r').count();
        assertThat(redraws).isBetween(9L, 12L);
        assertThat(text()).doesNotContain("\n");

        bar.progress(100 * MIB, 100 * MIB);
        bar.finished();
        assertThat(text()).endsWith("\n").contains("100% 100.0/100.0 MiB");
        assertThat(text().chars().filter(c -> c == '\n').count()).isEqualTo(1);
    }

    @Test
    void aMessageGetsItsOwnLine() {
        bar.progress(MIB, 10 * MIB);
        bar.message("modelscope.cn: HTTP 404; trying huggingface.co instead");
        bar.progress(2 * MIB, 10 * MIB);
        bar.finished();

        assertThat(text()).contains("\nmodelscope.cn: HTTP 404; trying huggingface.co instead\n\r");
        assertThat(text()).endsWith("\n");
    }

    @Test
    void anUnknownTotalShowsBytesAndSpeedOnly() {
        bar.progress(0, -1);
        now = 1_000_000_000L;
        bar.progress(5 * MIB, -1);
        bar.finished();

        assertThat(text()).contains("5.0 MiB  5.0 MiB/s").doesNotContain("%").doesNotContain("ETA");
    }

    @Test
    void longHoursAreWrittenWithHours() {
        assertThat(TerminalProgress.duration(3725)).isEqualTo("1:02:05");
        assertThat(TerminalProgress.duration(65)).isEqualTo("1:05");
    }
}
