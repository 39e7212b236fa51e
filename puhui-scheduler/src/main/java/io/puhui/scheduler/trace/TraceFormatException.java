package io.puhui.scheduler.trace;

import java.nio.file.Path;

/** A trace or node file that cannot be read, with the place of the fault. */
public final class TraceFormatException extends RuntimeException {

    private final Path file;
    private final long line;

    public TraceFormatException(Path file, long line, String message) {
        super(file + (line > 0 ? ":" + line : "") + ": " + message);
        this.file = file;
        this.line = line;
    }

    public Path file() {
        return file;
    }

    /** 1-based line number, 0 when the fault is not on one line. */
    public long line() {
        return line;
    }
}
