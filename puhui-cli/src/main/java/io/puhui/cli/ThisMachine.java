// What the commands that act for this machine as a node (scene, agent, serve) read of it: its memory and its scene.
package io.puhui.cli;

import io.puhui.server.node.scene.AppCatalog;
import io.puhui.server.node.scene.LinuxSignals;
import io.puhui.server.node.scene.SceneDetector;
import io.puhui.server.node.scene.Signals;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;

final class ThisMachine {
    private ThisMachine() {
    }

    /** Physical memory in bytes. */
    static long memoryBytes() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
    }

    /**
     * The scene detector for this machine: Linux signals where there is /proc (else a quiet machine on mains),
     * the built-in app list extended by {@code home/scene-apps.conf}; a bad line there is a usage error.
     */
    static SceneDetector sceneDetector(Path home) {
        AppCatalog apps;
        try {
            apps = AppCatalog.withUserFile(home.resolve("scene-apps.conf"));
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
        return new SceneDetector(LinuxSignals.available() ? LinuxSignals.local() : Signals::quiet, apps,
                SceneDetector.Thresholds.DEFAULT);
    }
}
