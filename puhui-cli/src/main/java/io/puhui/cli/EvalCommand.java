// `puhui eval --model Q.gguf --reference P.gguf --text FILE`: perplexity of both, KL divergence of Q's
// next-token distributions from P's, top-1 agreement and size ratio, with llama.cpp's definitions.
package io.puhui.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.puhui.engine.eval.Fidelity;
import io.puhui.engine.model.Model;
import io.puhui.engine.tensor.ThreadTeam;
import io.puhui.server.api.Json;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "eval", description = {
    "Measure a model's perplexity on a text and, given its parent as --reference, how far it drifted from it:",
    "KL divergence (mean, p99), top-1 agreement and size ratio, defined as llama-perplexity --kl-divergence does.",
    "When the model has a compression record (MODEL.record.json), the figures are stored in it."})
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "Q.gguf", description = "The model to evaluate.")
    Path model;

    @Option(names = "--reference", paramLabel = "P.gguf", description = "Its parent (same vocabulary).")
    Path reference;

    @Option(names = "--text", required = true, paramLabel = "FILE", description = "UTF-8 text to score.")
    Path text;

    @Option(names = "--ctx", defaultValue = "512", paramLabel = "N",
            description = "Tokens per chunk (default ${DEFAULT-VALUE}; the second half of each is scored).")
    int ctx;

    @Mixin
    ThreadsOption threads;

    @Option(names = "--json", description = "Print the report as JSON instead of a table.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        int k = threads.count();
        Main.existingFile(model, "model file");
        if (reference != null) {
            Main.existingFile(reference, "reference file");
        }
        PrintWriter out = spec.commandLine().getOut();
        Fidelity.Report r;
        try (Model q = Model.load(model); Model p = reference != null ? Model.load(reference) : null;
                ThreadTeam team = new ThreadTeam(k)) {
            TextTokens t = TextTokens.read(text, q);
            int c = ctx;
            try {
                r = Fidelity.measure(q, p, t.tokens(), c, t.bos(), team, (done, total) -> {
                    System.err.printf("\rchunk %d/%d", done, total);
                    if (done == total) {
                        System.err.println();
                    }
                });
            } catch (IllegalArgumentException e) {
                throw new Main.UsageException(e.getMessage());
            }
        }
        ObjectNode report = report(r);
        if (reference != null && CompressionRecord.addFidelity(model, withSources(report))) {
            System.err.println("stored in " + CompressionRecord.pathFor(model));
        }
        if (json) {
            out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report));
        } else {
            printTable(out, r, report);
        }
        return Main.OK;
    }

    private ObjectNode withSources(ObjectNode report) throws java.io.IOException {
        ObjectNode j = report.deepCopy();
        j.put("reference_sha256", FileHashes.sha256(reference));
        j.put("text", text.getFileName().toString());
        j.put("text_sha256", CompressionRecord.sha256(text));
        return j;
    }

    ObjectNode report(Fidelity.Report r) throws java.io.IOException {
        ObjectNode j = Json.MAPPER.createObjectNode();
        j.put("model", model.toString());
        j.put("model_bytes", Files.size(model));
        j.put("ctx", r.ctx());
        j.put("chunks", r.chunks());
        j.put("tokens_scored", r.tokens());
        j.put("perplexity", r.perplexity());
        if (r.hasReference()) {
            j.put("reference", reference.toString());
            j.put("reference_bytes", Files.size(reference));
            j.put("reference_perplexity", r.referencePerplexity());
            j.put("kl_mean", r.meanKl());
            j.put("kl_mean_error", r.klError());
            j.put("kl_median", r.medianKl());
            j.put("kl_p99", r.p99Kl());
            j.put("kl_max", r.maxKl());
            j.put("top1_agreement", r.top1());
            j.put("size_ratio", (double) Files.size(model) / Files.size(reference));
        }
        return j;
    }

    private static void printTable(PrintWriter out, Fidelity.Report r, ObjectNode j) {
        out.printf(Locale.ROOT, "%-22s %s%n", "chunks x ctx", r.chunks() + " x " + r.ctx() + " (" + r.tokens()
                + " tokens scored)");
        out.printf(Locale.ROOT, "%-22s %.4f%n", "perplexity", r.perplexity());
        if (r.hasReference()) {
            out.printf(Locale.ROOT, "%-22s %.4f%n", "reference perplexity", r.referencePerplexity());
            out.printf(Locale.ROOT, "%-22s %.6f ± %.6f%n", "KL divergence, mean", r.meanKl(), r.klError());
            out.printf(Locale.ROOT, "%-22s %.6f%n", "KL divergence, p99", r.p99Kl());
            out.printf(Locale.ROOT, "%-22s %.6f%n", "KL divergence, max", r.maxKl());
            out.printf(Locale.ROOT, "%-22s %.2f %%%n", "top-1 agreement", 100 * r.top1());
            out.printf(Locale.ROOT, "%-22s %.4f (%s of %s)%n", "size ratio", j.get("size_ratio").asDouble(),
                    InspectCommand.bytes(j.get("model_bytes").asLong()),
                    InspectCommand.bytes(j.get("reference_bytes").asLong()));
        }
    }
}
