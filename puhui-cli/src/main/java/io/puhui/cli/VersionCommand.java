// `puhui version`: the build, and the Java and CPU features the engine will use.
package io.puhui.cli;

import java.util.concurrent.Callable;
import jdk.incubator.vector.FloatVector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "version", description = "Print the version, Java runtime and vector width.")
final class VersionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        out.println("puhui " + Main.version());
        out.println("java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")");
        out.println("vector width " + FloatVector.SPECIES_PREFERRED.vectorBitSize() + " bits, "
                + Runtime.getRuntime().availableProcessors() + " cores");
        return Main.OK;
    }
}
