// What a pull reports while it runs: bytes as they arrive, and the occasional line of news (a fallback, a resume).
// A pull can take many minutes, so a user who sees nothing assumes it hung.
package io.puhui.server.hub;

@FunctionalInterface
public interface ProgressListener {

    ProgressListener NONE = (done, total) -> {
    };

    /** Called as bytes arrive, often; {@code bytesTotal} is -1 when the hub did not say. */
    void progress(long bytesDone, long bytesTotal);

    /** A line worth showing the user, such as a hub being unreachable and the other one tried. */
    default void message(String line) {
    }

    /** The transfer has ended, completed or not; a display can end its line. */
    default void finished() {
    }
}
