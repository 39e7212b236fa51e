// The command that starts `puhui worker` as a child process: the same Java, the same jar, the same engine flags.
package io.puhui.cli;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

final class WorkerLaunch {
    private WorkerLaunch() {
    }

    static List<String> command() {
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // engine flags, memory settings and the class-data archive (a worker starts faster from the classes the
            // launcher archived) carry over; debugger and agent flags do not
            if (arg.startsWith("--add-modules") || arg.startsWith("--enable-native-access") || arg.startsWith("-Xss")
                    || arg.startsWith("-Xmx") || arg.startsWith("-Dpuhui.") || arg.startsWith("-XX:MaxVectorSize")
                    || arg.startsWith("-XX:SharedArchiveFile=") || arg.equals("-XX:+AutoCreateSharedArchive")
                    || arg.startsWith("-Xlog:cds")) {
                cmd.add(arg);
            }
        }
        if (cmd.stream().noneMatch(a -> a.startsWith("--add-modules"))) {
            cmd.add("--add-modules=jdk.incubator.vector");
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.add("worker");
        return cmd;
    }
}
