// `puhui compress IN.gguf --type T -o OUT.gguf`: a quantized copy of a model, byte for byte what llama-quantize
// writes for the same input and type, plus a record (parent, method, later fidelity) beside it.
package io.puhui.cli;

import io.puhui.engine.gguf.GgmlType;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.gguf.MetaValue;
import io.puhui.engine.quant.FitPlanner;
import io.puhui.engine.quant.ImportanceMatrix;
import io.puhui.engine.quant.MixPlanner;
import io.puhui.engine.quant.ModelCompressor;
import io.puhui.engine.quant.QuantMix;
import io.puhui.server.hub.TerminalProgress;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "compress", description = {
    "Quantize a GGUF model (F32, F16 or BF16 weights) into a smaller one.",
    "Without --imatrix the file is byte for byte what llama-quantize writes for the same input and type.",
    "A record of the parent, the method and (after `puhui eval`) the fidelity is written to OUT.record.json."})
final class CompressCommand implements Callable<Integer> {
    @Parameters(paramLabel = "IN.gguf", description = "The model to compress (it is only read).")
    Path input;

    @Option(names = "--type", paramLabel = "T", description = "Target: Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K_S, "
            + "Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K (also F16, BF16).")
    String type;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.gguf", description = "Where to write.")
    Path output;

    @Mixin
    ThreadsOption threads;

    @Option(names = "--imatrix", paramLabel = "M.imatrix",
            description = "Importance matrix from `puhui imatrix` (or llama-imatrix) to steer the quantizer.")
    Path imatrix;

    @Option(names = "--fit", paramLabel = "SIZE", description = "Fit the file into SIZE (e.g. 350MiB, 1.5GB): "
            + "per-matrix types chosen by measured sensitivity on --text, instead of --type.")
    String fit;

    @Option(names = "--fit-device", paramLabel = "NAME", description = "Fit a device profile's model budget: "
            + "phone-4gb, phone-8gb, phone-12gb, pc-8gb, pc-16gb, edge-16gb, gpu-24gb.")
    String fitDevice;

    @Option(names = "--text", paramLabel = "FILE", description = "Calibration text for --fit (UTF-8).")
    Path text;

    @Option(names = "--ctx", defaultValue = "512", paramLabel = "N",
            description = "Tokens per calibration chunk for --fit (default ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = "--dry-run", description = "Print the plan and write nothing.")
    boolean dryRun;

    @Option(names = "--show-plan", description = "Print every tensor's type before writing.")
    boolean showPlan;

    @Option(names = "--embed-record", description = "Also put the record into the GGUF metadata (puhui.* keys); "
            + "the file then differs from llama-quantize's in its metadata.")
    boolean embedRecord;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Main.existingFile(input, "model file");
        if (Files.isDirectory(output)) {
            throw new Main.UsageException(output + " is a directory; give a file name");
        }
        int k = threads.count();
        Long budget = budget();
        if ((type == null) == (budget == null)) {
            throw new Main.UsageException("give either --type T (one of " + QuantMix.names()
                    + ") or --fit SIZE / --fit-device NAME");
        }
        QuantMix mix = type == null ? null : QuantMix.parse(type).orElseThrow(() -> new Main.UsageException(
                "unknown --type " + type + "; choose one of " + QuantMix.names()));
        java.util.concurrent.CompletableFuture<String> parentHash = FileHashes.sha256Async(input);
        Map<String, float[]> importance = Map.of();
        Map<String, MetaValue> extra = new LinkedHashMap<>();
        ImportanceMatrix im = null;
        if (imatrix != null) {
            im = ImportanceMatrix.read(imatrix);
            importance = im.columns();
            // the keys llama-quantize writes for an importance-weighted file
            extra.put("quantize.imatrix.file", MetaValue.string(imatrix.toString()));
            if (!im.datasets().isEmpty()) {
                extra.put("quantize.imatrix.dataset", MetaValue.string(im.datasets().getFirst()));
            }
            extra.put("quantize.imatrix.entries_count", MetaValue.uint32(im.entries().size()));
            extra.put("quantize.imatrix.chunks_count", MetaValue.uint32(im.chunkCount()));
        }
        Map<String, GgmlType> overrides = Map.of();
        if (budget != null) {
            FitPlanner.Plan fp = fitPlan(budget, importance, k, out);
            mix = fp.fileType();
            overrides = fp.overrides();
        }
        String method = budget != null ? "fit" : mix.name();
        CompressionRecord record = null;
        if (embedRecord) {
            record = startRecord(FileHashes.join(parentHash), method, budget);
            extra.putAll(record.metadata());
        }
        TerminalProgress bar = new TerminalProgress(System.err);
        ModelCompressor.Options options = new ModelCompressor.Options(mix, k, importance, overrides, extra,
                bar::progress);
        List<MixPlanner.Planned> plan;
        try (GgufFile in = GgufFile.open(input)) {
            plan = ModelCompressor.plan(in, options);
        }
        if (dryRun || showPlan) {
            printPlan(out, plan);
        }
        out.println(summary(plan));
        out.flush();
        if (dryRun) {
            return Main.OK;
        }
        long t0 = System.nanoTime();
        ModelCompressor.Result r;
        try {
            r = ModelCompressor.compress(input, output, options);
        } finally {
            bar.finished();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (record == null) {
            record = startRecord(FileHashes.join(parentHash), method, budget);
        }
        record.finish(output, r.sha256(), r.plan());
        out.printf(Locale.ROOT, "wrote %s: %s, %s (%.2fx smaller) in %.1f s, %.1f MB/s of input%n", output, mix,
                InspectCommand.bytes(r.outputBytes()), (double) r.inputBytes() / r.outputBytes(), seconds,
                r.inputBytes() / 1e6 / seconds);
        out.printf("record: %s%n", CompressionRecord.pathFor(output));
        return Main.OK;
    }

    private CompressionRecord startRecord(String parentSha256, String method, Long budget) throws java.io.IOException {
        CompressionRecord record = CompressionRecord.start(input, parentSha256, method, imatrix);
        if (budget != null) {
            record.method().put("fit_budget_bytes", budget);
            record.method().put("calibration", text.getFileName().toString());
        }
        return record;
    }

    private Long budget() {
        if (fit != null && fitDevice != null) {
            throw new Main.UsageException("give --fit or --fit-device, not both");
        }
        if (fitDevice != null) {
            Long b = DEVICE_BUDGETS.get(fitDevice.toLowerCase(Locale.ROOT));
            if (b == null) {
                throw new Main.UsageException("unknown --fit-device " + fitDevice + "; known: "
                        + String.join(", ", DEVICE_BUDGETS.keySet()));
            }
            return b;
        }
        return fit == null ? null : parseSize(fit);
    }

    /**
     * Bytes of model a device can hold while it stays usable: its memory less the system, the apps a user keeps
     * open, and the KV cache and activations of a few thousand tokens of context.
     */
    static final Map<String, Long> DEVICE_BUDGETS = new LinkedHashMap<>();

    static {
        long gib = 1L << 30;
        DEVICE_BUDGETS.put("phone-4gb", 1200L << 20);
        DEVICE_BUDGETS.put("phone-8gb", 3 * gib);
        DEVICE_BUDGETS.put("phone-12gb", 5 * gib);
        DEVICE_BUDGETS.put("pc-8gb", 4 * gib);
        DEVICE_BUDGETS.put("pc-16gb", 9 * gib);
        DEVICE_BUDGETS.put("edge-16gb", 11 * gib);
        DEVICE_BUDGETS.put("gpu-24gb", 20 * gib);
    }

    /** "350MiB", "1.5GB", "2G", "900000" → bytes (K/M/G are binary, KB/MB/GB decimal). */
    static long parseSize(String s) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([kmgt]?)(i?b?)\\s*")
                .matcher(s);
        if (!m.matches()) {
            throw new Main.UsageException("cannot read the size '" + s + "'; write e.g. 350MiB, 1.5GB or 900000");
        }
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2).toUpperCase(Locale.ROOT);
        boolean decimal = m.group(3).equalsIgnoreCase("b") && !unit.isEmpty();
        int power = unit.isEmpty() ? 0 : "KMGT".indexOf(unit) + 1;
        double bytes = v * Math.pow(decimal ? 1000 : 1024, power);
        if (bytes < 1 || bytes > Long.MAX_VALUE / 2) {
            throw new Main.UsageException("the size '" + s + "' is out of range");
        }
        return (long) bytes;
    }

    private FitPlanner.Plan fitPlan(long budget, Map<String, float[]> importance, int k, PrintWriter out)
            throws java.io.IOException {
        if (text == null) {
            throw new Main.UsageException("--fit measures each matrix's sensitivity on a calibration text; give --text FILE");
        }
        TextTokens t;
        int c;
        try (io.puhui.engine.model.Model m = io.puhui.engine.model.Model.load(input)) {
            t = TextTokens.read(text, m);
            c = Math.min(ctx, m.config().trainedContextLength());
        }
        out.printf(Locale.ROOT, "fitting %s into %s: measuring each matrix group's sensitivity on %s (%d tokens)%n",
                input.getFileName(), InspectCommand.bytes(budget), text.getFileName(), t.tokens().length);
        out.flush();
        FitPlanner.Plan fp;
        try {
            fp = FitPlanner.plan(input, budget, t.tokens(), c, t.bos(), k, importance,
                    (done, total, what) -> System.err.printf("\r%d/%d %-40s", done, total, what));
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        } finally {
            System.err.println();
        }
        out.printf("%-24s %8s %-7s %12s %12s%n", "group", "tensors", "type", "bytes", "ΔKL");
        for (FitPlanner.Choice ch : fp.choices()) {
            out.printf(Locale.ROOT, "%-24s %8d %-7s %,12d %12.6f%n", ch.group(), ch.tensors().size(),
                    ch.option().label(), ch.option().bytes(), ch.option().deltaKl());
        }
        out.printf(Locale.ROOT, "file %,d bytes of %,d allowed; expected KL %.6f (sum of the groups')%n",
                fp.fileBytes(), budget, fp.expectedKl());
        return fp;
    }

    static String summary(List<MixPlanner.Planned> plan) {
        Map<GgmlType, long[]> byType = new TreeMap<>();
        long in = 0;
        long outBytes = 0;
        for (MixPlanner.Planned p : plan) {
            long[] c = byType.computeIfAbsent(p.type(), t -> new long[2]);
            c[0]++;
            c[1] += p.outputBytes();
            in += p.source().byteSize();
            outBytes += p.outputBytes();
        }
        StringBuilder sb = new StringBuilder("plan: ");
        Map<String, String> parts = new LinkedHashMap<>();
        byType.forEach((t, c) -> parts.put(t.name(), c[0] + " " + t + " (" + InspectCommand.bytes(c[1]) + ")"));
        sb.append(String.join(", ", parts.values()));
        sb.append(String.format(Locale.ROOT, "; tensors %s -> %s", InspectCommand.bytes(in),
                InspectCommand.bytes(outBytes)));
        return sb.toString();
    }

    static void printPlan(PrintWriter out, List<MixPlanner.Planned> plan) {
        out.printf("%-40s %-7s %-7s %-22s %12s%n", "tensor", "from", "to", "shape", "bytes");
        for (MixPlanner.Planned p : plan) {
            out.printf("%-40s %-7s %-7s %-22s %,12d%n", p.source().name(), p.source().type(), p.type(),
                    p.source().shapeString(), p.outputBytes());
        }
    }
}
