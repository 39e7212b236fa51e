package io.puhui.server.node.scene;

import java.util.EnumMap;
import java.util.Map;

/** What a node lends to the pool in each scene. */
public final class ScenePolicy {

    /**
     * @param threadShare    share of the cores inference may use
     * @param memoryShare    share of the memory models may occupy
     * @param acceptsRemote  whether requests from other users of the pool are taken (the owner's own are)
     * @param keepsInstances whether loaded models stay loaded (false: unload to give the memory back)
     */
    public record Lending(double threadShare, double memoryShare, boolean acceptsRemote, boolean keepsInstances) {
        public Lending {
            if (threadShare < 0 || threadShare > 1 || memoryShare < 0 || memoryShare > 1) {
                throw new IllegalArgumentException("shares must be between 0 and 1");
            }
        }

        /** Threads out of {@code cores}: the share rounded down, at least one when the share is above 0. */
        public int threads(int cores) {
            return threadShare == 0 ? 0 : Math.max(1, (int) Math.floor(threadShare * cores));
        }

        public long memoryBytes(long total) {
            return (long) Math.floor(memoryShare * total);
        }
    }

    private final Map<Scene, Lending> lending;

    private ScenePolicy(Map<Scene, Lending> lending) {
        this.lending = new EnumMap<>(lending);
    }

    /**
     * Gaming: nothing, and models unloaded. Meeting: a quarter of the cores and memory for the owner's own
     * requests. Low battery: nothing. Interactive: half. Idle on battery: three quarters. Idle on mains: all
     * cores and 90 % of memory.
     */
    public static ScenePolicy defaults() {
        Map<Scene, Lending> m = new EnumMap<>(Scene.class);
        m.put(Scene.GAMING, new Lending(0, 0, false, false));
        m.put(Scene.MEETING, new Lending(0.25, 0.25, false, true));
        m.put(Scene.LOW_BATTERY, new Lending(0, 0, false, false));
        m.put(Scene.INTERACTIVE, new Lending(0.5, 0.5, true, true));
        m.put(Scene.IDLE, new Lending(0.75, 0.75, true, true));
        m.put(Scene.IDLE_CHARGING, new Lending(1.0, 0.9, true, true));
        return new ScenePolicy(m);
    }

    public Lending lending(Scene scene) {
        return lending.get(scene);
    }

    public ScenePolicy with(Scene scene, Lending l) {
        Map<Scene, Lending> m = new EnumMap<>(lending);
        m.put(scene, l);
        return new ScenePolicy(m);
    }
}
