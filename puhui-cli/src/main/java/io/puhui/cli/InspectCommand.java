// `puhui inspect F.gguf`: the model's metadata and tensor table.
package io.puhui.cli;

import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.gguf.MetaValue;
import io.puhui.engine.gguf.TensorInfo;
import io.puhui.engine.gguf.ValueType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", description = "Print a GGUF file's metadata and tensor table.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE.gguf", description = "The model file.")
    Path file;

    @Option(names = "--no-tensors", description = "Print the metadata only.")
    boolean noTensors;

    @Option(names = "--full", description = "Print long arrays (e.g. the vocabulary) whole.")
    boolean full;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (GgufFile f = GgufFile.open(file)) {
            long params = 0;
            Map<GgmlType, Long> bytesByType = new EnumMap<>(GgmlType.class);
            for (TensorInfo t : f.tensors()) {
                params += t.elementCount();
                bytesByType.merge(t.type(), t.byteSize(), Long::sum);
            }
            out.printf("file        %s%n", file);
            out.printf("format      GGUF v%d, %d metadata entries, %d tensors, alignment %d%n", f.version(),
                    f.metadata().size(), f.tensors().size(), f.alignment());
            out.printf("size        %s (%,d bytes), %s parameters%n", bytes(f.fileSize()), f.fileSize(), count(params));
            out.printf("types       %s%n", bytesByType.entrySet().stream()
                    .map(e -> e.getKey() + " " + bytes(e.getValue())).reduce((a, b) -> a + ", " + b).orElse("-"));
            out.println();
            out.println("metadata");
            for (var e : f.metadata().entries().entrySet()) {
                out.printf("  %-44s %s%n", e.getKey(), render(e.getValue()));
            }
            if (!noTensors) {
                out.println();
                out.printf("%-40s %-7s %-22s %12s%n", "tensor", "type", "shape", "bytes");
                for (TensorInfo t : f.tensors()) {
                    out.printf("%-40s %-7s %-22s %,12d%n", t.name(), t.type(), t.shapeString(), t.byteSize());
                }
            }
        }
        return Main.OK;
    }

    private String render(MetaValue v) {
        if (v.type() == ValueType.STRING) {
            String s = (String) v.value();
            if (!full && s.length() > 120) {
                s = s.substring(0, 117) + "...";
            }
            return '"' + s.replace("\n", "\\n") + '"';
        }
        if (v.type() != ValueType.ARRAY) {
            return v.type() == ValueType.UINT32 || v.type() == ValueType.UINT8 || v.type() == ValueType.UINT16
                    ? Long.toString(v.asLong()) : String.valueOf(v.value());
        }
        int n = v.arrayLength();
        int shown = full ? n : Math.min(n, 8);
        StringBuilder sb = new StringBuilder();
        sb.append(v.elementType()).append('[').append(n).append("] [");
        for (int i = 0; i < shown; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(switch (v.value()) {
                case String[] a -> '"' + a[i].replace("\n", "\\n") + '"';
                case int[] a -> Integer.toString(a[i]);
                case float[] a -> Float.toString(a[i]);
                case long[] a -> Long.toString(a[i]);
                case byte[] a -> Byte.toString(a[i]);
                case short[] a -> Short.toString(a[i]);
                case double[] a -> Double.toString(a[i]);
                case boolean[] a -> Boolean.toString(a[i]);
                case Object[] a -> String.valueOf(a[i]);
                default -> "?";
            });
        }
        if (shown < n) {
            sb.append(", ...");
        }
        return sb.append(']').toString();
    }

    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.1f %s", v, units[u]);
    }

    static String count(long n) {
        if (n >= 1_000_000_000) {
            return String.format("%.2fB", n / 1e9);
        }
        if (n >= 1_000_000) {
            return String.format("%.1fM", n / 1e6);
        }
        return String.format("%.1fK", n / 1e3);
    }
}
