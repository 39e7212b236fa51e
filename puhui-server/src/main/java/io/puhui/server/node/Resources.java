// The node's hardware and load for its heartbeats: OSHI for cores, memory, CPU load and graphics cards on any OS,
// and nvidia-smi, where it is installed, for NVIDIA GPUs' memory in use and utilisation.
package io.puhui.server.node;

import io.puhui.server.pool.NodeResources;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public final class Resources {
    private static final Logger LOG = LoggerFactory.getLogger(Resources.class);

    private final oshi.hardware.HardwareAbstractionLayer hardware;
    private final Optional<Path> nvidiaSmi;
    private long[] ticks;

    public Resources() {
        oshi.hardware.HardwareAbstractionLayer h = null;
        try {
            h = new oshi.SystemInfo().getHardware();
        } catch (Throwable e) {
            LOG.warn("cannot read this machine's hardware ({}); heartbeats carry no resources", e.toString());
        }
        this.hardware = h;
        this.nvidiaSmi = onPath("nvidia-smi");
    }

    /** What the node has now; the CPU load is over the time since the previous reading. */
    public synchronized NodeResources read() {
        if (hardware == null) {
            return NodeResources.UNKNOWN;
        }
        double load = -1;
        long available = 0;
        List<NodeResources.Accelerator> accelerators = new ArrayList<>();
        try {
            oshi.hardware.CentralProcessor cpu = hardware.getProcessor();
            long[] now = cpu.getSystemCpuLoadTicks();
            if (ticks != null) {
                load = cpu.getSystemCpuLoadBetweenTicks(ticks);
            }
            ticks = now;
            available = hardware.getMemory().getAvailable();
            Optional<List<NodeResources.Accelerator>> nvidia = nvidiaSmi.flatMap(Resources::queryNvidia);
            nvidia.ifPresent(accelerators::addAll);
            for (oshi.hardware.GraphicsCard g : hardware.getGraphicsCards()) {
                boolean nvidiaCard = g.getVendor().toLowerCase(Locale.ROOT).contains("nvidia");
                if (nvidia.isPresent() && nvidiaCard) {
                    continue; // nvidia-smi said more about it
                }
                accelerators.add(new NodeResources.Accelerator(g.getName(), g.getVendor(), g.getVRam(), -1, -1));
            }
        } catch (RuntimeException e) {
            LOG.debug("reading resources failed: {}", e.toString());
        }
        return new NodeResources(load, available, accelerators);
    }

    private static Optional<List<NodeResources.Accelerator>> queryNvidia(Path smi) {
        try {
            Process p = new ProcessBuilder(smi.toString(), "--query-gpu=name,memory.total,memory.used,utilization.gpu",
                    "--format=csv,noheader,nounits").redirectErrorStream(true).start();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return p.exitValue() == 0 ? Optional.of(parseNvidiaSmi(out)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /**
     * Reads {@code nvidia-smi --query-gpu=name,memory.total,memory.used,utilization.gpu
     * --format=csv,noheader,nounits}: one GPU a line, memory in MiB, utilisation in percent ("[N/A]" where the
     * driver does not say).
     */
    static List<NodeResources.Accelerator> parseNvidiaSmi(String csv) {
        List<NodeResources.Accelerator> out = new ArrayList<>();
        for (String line : csv.split("\\R")) {
            String[] f = line.split(",");
            if (f.length != 4) {
                continue;
            }
            out.add(new NodeResources.Accelerator(f[0].trim(), "NVIDIA", mib(f[1]), mib(f[2]), percent(f[3])));
        }
        return out;
    }

    private static long mib(String s) {
        try {
            return Long.parseLong(s.trim()) << 20;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static double percent(String s) {
        try {
            return Double.parseDouble(s.trim()) / 100;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static Optional<Path> onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            for (String name : new String[] {program, program + ".exe"}) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }
}
