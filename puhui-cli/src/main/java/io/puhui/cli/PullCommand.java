// `puhui pull NAME`: download a model from ModelScope or Hugging Face into the store, verified and resumable.
package io.puhui.cli;

import io.puhui.server.hub.ModelCatalog;
import io.puhui.server.hub.ModelPuller;
import io.puhui.server.hub.ModelRef;
import io.puhui.server.hub.PulledModel;
import io.puhui.server.hub.TerminalProgress;
import io.puhui.server.store.ModelRecords;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "pull", description = "Download a model from ModelScope or Hugging Face (PUHUI_HUB picks which first).")
final class PullCommand implements Callable<Integer> {
    static final String DEFAULT_MODEL = ModelCatalog.defaultChatModel().text();

    @Parameters(paramLabel = "MODEL", description = "A catalog name (e.g. qwen2.5-0.5b-instruct:q4_k_m), "
            + "ms://OWNER/REPO/FILE.gguf or hf://OWNER/REPO/FILE.gguf.")
    String model;

    @Mixin
    DbOption db;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try (Store store = db.open()) {
            PulledModel p = pull(model, store);
            spec.commandLine().getOut().println("Pulled " + p.name() + " (" + ModelsCommand.size(p.sizeBytes())
                    + ", sha256 " + p.sha256() + ") to " + p.path());
        }
        return Main.OK;
    }

    static PulledModel pull(String model, Store store) throws Exception {
        ModelRef ref;
        ModelPuller puller;
        try {
            ref = ModelRef.parse(model);
            puller = new ModelPuller(System.getenv());
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
        PulledModel p = puller.pull(ref, store.modelsDir(), new TerminalProgress(System.err));
        store.db.models().put(new ModelRecords.ModelRecord(p.name(), p.path().toString(), p.sizeBytes(), p.sha256(),
                p.source(), Instant.now()));
        return p;
    }
}
