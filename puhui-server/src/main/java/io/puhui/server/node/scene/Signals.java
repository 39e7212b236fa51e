package io.puhui.server.node.scene;

import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What a node can observe about its owner's use of it.
 *
 * @param power          mains, battery, or unknown (a machine that reports no power supply is taken as mains)
 * @param batteryPercent charge of the battery, when there is one
 * @param otherCpuLoad   share of all cores busy with programs other than Puhui's, 0..1; NaN when unknown
 * @param processes      names of running programs, lower case
 * @param userIdleSeconds seconds since the last keyboard or mouse input, when the system says
 */
public record Signals(Power power, OptionalInt batteryPercent, double otherCpuLoad, Set<String> processes,
                      OptionalLong userIdleSeconds) {

    /** Where the power comes from. */
    public enum Power { MAINS, BATTERY, UNKNOWN }

    public Signals {
        processes = Set.copyOf(processes);
    }

    /** A quiet machine on mains power with nothing running. */
    public static Signals quiet() {
        return new Signals(Power.MAINS, OptionalInt.empty(), 0, Set.of(), OptionalLong.empty());
    }

    public Signals withPower(Power p, int percent) {
        return new Signals(p, OptionalInt.of(percent), otherCpuLoad, processes, userIdleSeconds);
    }

    public Signals withProcesses(String... names) {
        return new Signals(power, batteryPercent, otherCpuLoad, Set.of(names), userIdleSeconds);
    }

    public Signals withCpuLoad(double load) {
        return new Signals(power, batteryPercent, load, processes, userIdleSeconds);
    }

    public Signals withIdleSeconds(long seconds) {
        return new Signals(power, batteryPercent, otherCpuLoad, processes, OptionalLong.of(seconds));
    }
}
