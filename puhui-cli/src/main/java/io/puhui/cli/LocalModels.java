// The models this machine can run, by API name: the --model files first, then the model store. Used by `serve`
// for its own models and by `agent` for the variants it offers the pool.
package io.puhui.cli;

import io.puhui.server.gateway.ModelDirectory;
import io.puhui.server.node.ModelFormat;
import io.puhui.server.node.WorkerSpec;
import io.puhui.server.pool.NodeInstance;
import io.puhui.server.store.ModelRecords;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** @param quality declared quality scores by model name; the others take the prior of their compression */
record LocalModels(Map<String, Path> explicit, Store store, int slots, int queue, int ctx, int threads, long maxBody,
                   Map<String, Double> quality) implements ModelDirectory {

    /**
     * Bytes per second a node is taken to stream its weights at before the plane has measured it: a modest
     * laptop's memory bandwidth.
     */
    static final double ASSUMED_BANDWIDTH = 10e9;

    @Override
    public Optional<WorkerSpec> find(String name) {
        Path p = explicit.get(name);
        if (p == null && store != null) {
            p = store.modelPath(name).orElse(null);
        }
        return p == null ? Optional.empty() : Optional.of(new WorkerSpec(name, p, slots, queue, ctx, threads, maxBody));
    }

    @Override
    public List<String> names() {
        List<String> all = new ArrayList<>(explicit.keySet());
        if (store != null) {
            for (String n : store.modelNames()) {
                if (!all.contains(n)) {
                    all.add(n);
                }
            }
        }
        return all;
    }

    /**
     * A variant's quality: as declared; else, for a compressed model (a file with its compression record beside
     * it, or one in the store), how often its top token agrees with its parent's, as `puhui compress`/`eval`
     * measured it; else the prior of its compression.
     */
    private double quality(String name, String format) {
        Double declared = quality.get(name);
        if (declared != null) {
            return declared;
        }
        ModelRecords.Lineage lineage = null;
        Path file = explicit.get(name);
        if (file != null) {
            try {
                CompressionRecord.Summary beside = CompressionRecord.summary(file);
                lineage = beside == null ? null : beside.lineage();
            } catch (IOException unreadable) {
                lineage = null;
            }
        } else if (store != null) {
            lineage = store.db.models().find(name).map(ModelRecords.ModelRecord::lineage).orElse(null);
        }
        if (lineage != null && lineage.top1() >= 0 && lineage.top1() <= 1) {
            return lineage.top1();
        }
        return NodeInstance.qualityPrior(format);
    }

    /** What this machine offers the pool: each model as a variant named after its file, with priors for speed and quality. */
    List<NodeInstance> instances(java.util.function.Predicate<String> loaded) {
        List<NodeInstance> out = new ArrayList<>();
        for (String name : names()) {
            Optional<WorkerSpec> spec = find(name);
            if (spec.isEmpty()) {
                continue;
            }
            Path file = spec.get().path();
            long bytes;
            try {
                bytes = Files.size(file);
            } catch (IOException gone) {
                continue;
            }
            String format = ModelFormat.of(file);
            String variant = ServeNames.fromFile(file);
            double decode = NodeInstance.decodePrior(bytes, ASSUMED_BANDWIDTH);
            out.add(new NodeInstance(name, variant, format, bytes, quality(name, format), slots, decode,
                    decode * 8, loaded.test(name)));
        }
        return out;
    }
}
