package io.puhui.server.node.scene;

import java.util.Optional;

/**
 * Turns signals into a scene. The rules, first match wins: battery low and not charging → LOW_BATTERY; a game
 * running → GAMING; a meeting app running → MEETING; the user active recently, or other programs keeping the
 * CPU busy → INTERACTIVE; on mains power → IDLE_CHARGING; else IDLE.
 *
 * <p>A stricter scene takes effect at once (a game starts: stop lending now); a looser one only after it has
 * been read {@code settleReads} times in a row, so a scene does not flap while a game loads or a call reconnects.
 */
public final class SceneDetector {

    /**
     * @param lowBatteryPercent at or below this charge, on battery, the node lends nothing
     * @param busyCpu           other programs' CPU share at or above which the node counts as in use
     * @param activeIdleSeconds input within this many seconds counts as in use
     * @param settleReads       reads a looser scene must persist before it is taken
     */
    public record Thresholds(int lowBatteryPercent, double busyCpu, long activeIdleSeconds, int settleReads) {
        public static final Thresholds DEFAULT = new Thresholds(20, 0.5, 300, 3);
    }

    /** One reading: the signals, the scene they indicate, the scene in force, and why. */
    public record Reading(Signals signals, Scene indicated, Scene scene, String reason) {
    }

    private final SignalSource source;
    private final AppCatalog apps;
    private final Thresholds thresholds;
    private Scene current;
    private Scene pending;
    private int pendingReads;

    public SceneDetector(SignalSource source, AppCatalog apps, Thresholds thresholds) {
        this.source = source;
        this.apps = apps;
        this.thresholds = thresholds;
    }

    /** The program names this detector recognises. */
    public AppCatalog apps() {
        return apps;
    }

    public synchronized Reading read() {
        Signals s = source.read();
        Classified c = classify(s, apps, thresholds);
        if (current == null || c.scene().stricterThan(current)) {
            current = c.scene();
            pending = null;
            pendingReads = 0;
        } else if (c.scene() != current) {
            if (c.scene() == pending) {
                pendingReads++;
            } else {
                pending = c.scene();
                pendingReads = 1;
            }
            if (pendingReads >= thresholds.settleReads()) {
                current = c.scene();
                pending = null;
                pendingReads = 0;
            }
        } else {
            pending = null;
            pendingReads = 0;
        }
        String reason = c.reason() + (current != c.scene() ? " (still " + current + " until it settles)" : "");
        return new Reading(s, c.scene(), current, reason);
    }

    /** A scene and the signal that decided it. */
    public record Classified(Scene scene, String reason) {
    }

    public static Classified classify(Signals s, AppCatalog apps, Thresholds t) {
        if (s.power() == Signals.Power.BATTERY && s.batteryPercent().isPresent()
                && s.batteryPercent().getAsInt() <= t.lowBatteryPercent()) {
            return new Classified(Scene.LOW_BATTERY, "battery at " + s.batteryPercent().getAsInt() + "% and not charging");
        }
        Optional<String> game = apps.game(s.processes());
        if (game.isPresent()) {
            return new Classified(Scene.GAMING, "game running: " + game.get());
        }
        Optional<String> meeting = apps.meeting(s.processes());
        if (meeting.isPresent()) {
            return new Classified(Scene.MEETING, "meeting app running: " + meeting.get());
        }
        if (s.userIdleSeconds().isPresent() && s.userIdleSeconds().getAsLong() < t.activeIdleSeconds()) {
            return new Classified(Scene.INTERACTIVE, "user input " + s.userIdleSeconds().getAsLong() + " s ago");
        }
        if (!Double.isNaN(s.otherCpuLoad()) && s.otherCpuLoad() >= t.busyCpu()) {
            return new Classified(Scene.INTERACTIVE, String.format("other programs use %.0f%% of the CPU", 100 * s.otherCpuLoad()));
        }
        if (s.power() == Signals.Power.BATTERY) {
            return new Classified(Scene.IDLE, "idle on battery"
                    + s.batteryPercent().stream().mapToObj(p -> " (" + p + "%)").findFirst().orElse(""));
        }
        return new Classified(Scene.IDLE_CHARGING, s.power() == Signals.Power.MAINS ? "idle on mains power"
                : "idle; no power supply reported, taken as mains");
    }
}
