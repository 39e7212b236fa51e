package io.puhui.server.pool;

/** Where a node sits: a user's device, an edge box, or a cloud server. Cheapest first. */
public enum Tier {
    /** A PC or phone: a laptop draws about 10 W more while it runs a model. */
    DEVICE(10),
    /** An edge box (a mini PC, a small server): about 30 W under load. */
    EDGE(30),
    /** A GPU server: about 300 W. */
    CLOUD(300);

    private final double watts;

    Tier(double watts) {
        this.watts = watts;
    }

    /** The power a node of this tier draws while it generates, when its agent does not say ({@code --watts}). */
    public double defaultWatts() {
        return watts;
    }
}
