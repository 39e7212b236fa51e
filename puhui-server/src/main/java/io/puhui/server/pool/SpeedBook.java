package io.puhui.server.pool;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Generation speeds as measured on the answers the plane relayed, per instance: an exponentially weighted mean
 * of tokens per second, which the router uses in place of the speed a node announced once it has one.
 */
public final class SpeedBook {
    private final double weight;
    private final ConcurrentHashMap<String, Double> tps = new ConcurrentHashMap<>();

    /** @param weight the weight of each new measurement, 0..1 */
    public SpeedBook(double weight) {
        if (!(weight > 0 && weight <= 1)) {
            throw new IllegalArgumentException("weight must be in (0, 1]");
        }
        this.weight = weight;
    }

    /** One answer of {@code tokens} generated in {@code seconds}; too short to time are ignored. */
    public void record(String instance, int tokens, double seconds) {
        if (tokens < 4 || !(seconds > 0.001)) {
            return;
        }
        double v = tokens / seconds;
        tps.merge(instance, v, (old, now) -> old + weight * (now - old));
    }

    /** The measured speed, or {@code announced} before any measurement. */
    public double decodeTps(String instance, double announced) {
        return tps.getOrDefault(instance, announced);
    }
}
