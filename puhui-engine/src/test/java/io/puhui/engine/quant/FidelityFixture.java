package io.puhui.engine.quant;

import io.puhui.engine.SharedData;
import io.puhui.engine.eval.Fidelity;
import io.puhui.engine.model.Model;
import io.puhui.engine.tensor.ThreadTeam;
import io.puhui.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** stories260K, its texts, and the comparison of a compressed copy with it (llama.cpp's definitions). */
final class FidelityFixture {
    static final int CTX = 128;
    static final Path PARENT = SharedData.stories260K();

    private FidelityFixture() {
    }

    static String text(String name) {
        try (InputStream in = FidelityFixture.class.getResourceAsStream("/text/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The text's tokens with BOS first, as llama.cpp's tools tokenize a file. */
    static int[] tokens(Model m, String name) {
        return Tokenizer.fromMetadata(m.metadata()).encode(text(name), true, false);
    }

    static Fidelity.Report compare(Path model, String textName) throws IOException {
        try (Model q = Model.load(model); Model p = Model.load(PARENT); ThreadTeam team = new ThreadTeam(2)) {
            int[] toks = tokens(p, textName);
            return Fidelity.measure(q, p, toks, CTX, toks[0], team, Fidelity.Progress.NONE);
        }
    }
}
