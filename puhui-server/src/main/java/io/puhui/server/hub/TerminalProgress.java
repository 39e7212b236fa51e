// A one-line progress bar for a terminal: percentage, MiB done of total, speed and time left, redrawn in place.
// Redraws are limited to about ten a second because a fast download would otherwise flood a slow console.
package io.puhui.server.hub;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

public final class TerminalProgress implements ProgressListener {

    private static final long REDRAW_NANOS = 100_000_000L;
    private static final int BAR = 24;
    private static final double MIB = 1024.0 * 1024.0;

    private final PrintStream out;
    private final LongSupplier nanoClock;
    private boolean drawing;
    private long lastDraw;
    private long startNanos;
    private long startBytes = -1;
    private long done;
    private long drawnDone = -1;
    private long total = -1;
    private int lastWidth;

    public TerminalProgress(PrintStream out) {
        this(out, System::nanoTime);
    }

    TerminalProgress(PrintStream out, LongSupplier nanoClock) {
        this.out = out;
        this.nanoClock = nanoClock;
    }

    @Override
    public synchronized void progress(long bytesDone, long bytesTotal) {
        long now = nanoClock.getAsLong();
        if (startBytes < 0) {
            // A resumed download starts part-way; speed counts only this run's bytes.
            startBytes = bytesDone;
            startNanos = now;
        }
        done = bytesDone;
        total = bytesTotal;
        boolean complete = bytesTotal >= 0 && bytesDone >= bytesTotal;
        if (drawing && !complete && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        draw(now);
    }

    @Override
    public synchronized void message(String line) {
        endLine();
        out.println(line);
        out.flush();
        // The next progress call starts a new bar whose speed is measured afresh.
        startBytes = -1;
    }

    @Override
    public synchronized void finished() {
        if (drawing && drawnDone != done) {
            draw(nanoClock.getAsLong());
        }
        endLine();
        startBytes = -1;
    }

    private void endLine() {
        if (drawing) {
            out.print('\n');
            out.flush();
            drawing = false;
            lastWidth = 0;
        }
    }

    private void draw(long now) {
        lastDraw = now;
        drawnDone = done;
        drawing = true;
        String line = render(now);
        // Pad over the tail of a longer previous line, which \r alone would leave on screen.
        int pad = Math.max(0, lastWidth - line.length());
        lastWidth = line.length();
        out.print('\r' + line + " ".repeat(pad));
        out.flush();
    }

    private String render(long now) {
        double seconds = (now - startNanos) / 1e9;
        double rate = seconds > 0 ? (done - startBytes) / seconds : 0;
        StringBuilder sb = new StringBuilder(80);
        if (total > 0) {
            double fraction = Math.min(1.0, (double) done / total);
            int filled = (int) Math.round(fraction * BAR);
            sb.append('[').append("#".repeat(filled)).append(" ".repeat(BAR - filled)).append("] ");
            sb.append(String.format(Locale.ROOT, "%3d%% %.1f/%.1f MiB", (int) Math.floor(fraction * 100),
                    done / MIB, total / MIB));
        } else {
            sb.append(String.format(Locale.ROOT, "%.1f MiB", done / MIB));
        }
        sb.append(String.format(Locale.ROOT, "  %.1f MiB/s", rate / MIB));
        if (total > 0) {
            if (done >= total) {
                sb.append("  done");
            } else if (rate > 0) {
                sb.append("  ETA ").append(duration((long) Math.ceil((total - done) / rate)));
            } else {
                sb.append("  ETA --:--");
            }
        }
        return sb.toString();
    }

    static String duration(long seconds) {
        if (seconds >= 3600) {
            return String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
        }
        return String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }
}
