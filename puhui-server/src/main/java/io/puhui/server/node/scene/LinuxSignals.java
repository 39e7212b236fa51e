package io.puhui.server.node.scene;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Signals from Linux's {@code /sys} and {@code /proc}: power supplies, CPU time (all of it, minus Puhui's own
 * processes), and the names of running programs ({@code comm}, and the file name of {@code argv[0]}, which
 * keeps the whole name of a Windows program run under Wine). User idle time is not available without a
 * display server's help and is reported unknown. The root directory is a parameter so tests can give a fake
 * one.
 */
public final class LinuxSignals implements SignalSource {

    private final Path root;
    private final Supplier<Set<Long>> ownPids;
    private long lastTotal = -1;
    private long lastBusy;
    private long lastOwn;

    /**
     * @param root    usually {@code /}
     * @param ownPids process ids whose CPU time is Puhui's own (this JVM and its workers)
     */
    public LinuxSignals(Path root, Supplier<Set<Long>> ownPids) {
        this.root = root;
        this.ownPids = ownPids;
    }

    /** This machine, counting this JVM and its child processes as Puhui's own. */
    public static LinuxSignals local() {
        return new LinuxSignals(Path.of("/"), () -> {
            Set<Long> pids = new HashSet<>();
            ProcessHandle self = ProcessHandle.current();
            pids.add(self.pid());
            self.descendants().forEach(p -> pids.add(p.pid()));
            return pids;
        });
    }

    /** Whether this machine looks like Linux (has {@code /proc/stat}). */
    public static boolean available() {
        return Files.isReadable(Path.of("/proc/stat"));
    }

    @Override
    public synchronized Signals read() {
        Signals.Power power = Signals.Power.UNKNOWN;
        OptionalInt battery = OptionalInt.empty();
        boolean mainsOnline = false;
        boolean sawMains = false;
        boolean charging = false;
        Path supplies = root.resolve("sys/class/power_supply");
        if (Files.isDirectory(supplies)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(supplies)) {
                for (Path d : ds) {
                    String type = text(d.resolve("type")).toLowerCase(Locale.ROOT);
                    if (type.equals("battery")) {
                        String capacity = text(d.resolve("capacity"));
                        if (!capacity.isEmpty()) {
                            battery = OptionalInt.of(Integer.parseInt(capacity));
                        }
                        String status = text(d.resolve("status")).toLowerCase(Locale.ROOT);
                        charging |= status.equals("charging") || status.equals("full");
                    } else if (!type.isEmpty()) {
                        sawMains = true;
                        mainsOnline |= text(d.resolve("online")).equals("1");
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // Unreadable supplies leave the power unknown.
            }
        }
        if (battery.isPresent()) {
            power = mainsOnline || charging ? Signals.Power.MAINS : Signals.Power.BATTERY;
        } else if (sawMains) {
            power = Signals.Power.MAINS;
        }
        return new Signals(power, battery, cpuLoad(), processes(), OptionalLong.empty());
    }

    private double cpuLoad() {
        String stat = text(root.resolve("proc/stat"));
        if (!stat.startsWith("cpu ")) {
            return Double.NaN;
        }
        String[] f = stat.lines().findFirst().orElse("").trim().split("\\s+");
        long total = 0;
        long idle = 0;
        for (int i = 1; i < f.length; i++) {
            long v = Long.parseLong(f[i]);
            total += v;
            if (i == 4 || i == 5) {
                idle += v; // idle and iowait
            }
        }
        long busy = total - idle;
        long own = 0;
        for (long pid : ownPids.get()) {
            own += processTicks(pid);
        }
        double load = Double.NaN;
        if (lastTotal >= 0 && total > lastTotal) {
            long others = (busy - lastBusy) - Math.max(0, own - lastOwn);
            load = Math.max(0, Math.min(1, others / (double) (total - lastTotal)));
        }
        lastTotal = total;
        lastBusy = busy;
        lastOwn = own;
        return load;
    }

    /** User plus system clock ticks of a process, 0 when it is gone. */
    private long processTicks(long pid) {
        String stat = text(root.resolve("proc/" + pid + "/stat"));
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            return 0;
        }
        String[] f = stat.substring(close + 1).trim().split("\\s+");
        try {
            return f.length > 12 ? Long.parseLong(f[11]) + Long.parseLong(f[12]) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private Set<String> processes() {
        Set<String> names = new HashSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root.resolve("proc"), p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path p : ds) {
                String comm = text(p.resolve("comm"));
                if (!comm.isEmpty()) {
                    names.add(comm.toLowerCase(Locale.ROOT));
                }
                String argv0 = argv0(p.resolve("cmdline"));
                if (!argv0.isEmpty()) {
                    names.add(argv0.toLowerCase(Locale.ROOT));
                }
            }
        } catch (IOException e) {
            // No /proc: no process names.
        }
        return names;
    }

    private static String argv0(Path cmdline) {
        try {
            byte[] b = Files.readAllBytes(cmdline);
            int end = 0;
            while (end < b.length && b[end] != 0) {
                end++;
            }
            String arg = new String(b, 0, end, StandardCharsets.UTF_8);
            int slash = Math.max(arg.lastIndexOf('/'), arg.lastIndexOf('\\'));
            return arg.substring(slash + 1).trim();
        } catch (IOException e) {
            return "";
        }
    }

    private static String text(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "";
        }
    }
}
