// Reads a text file for evaluation or calibration and tokenizes it as llama.cpp's tools do: the whole file at
// once, with the vocabulary's BOS in front when it uses one, special-token text left as plain text.
package io.puhui.cli;

import io.puhui.engine.model.Model;
import io.puhui.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

record TextTokens(int[] tokens, int bos) {
    static TextTokens read(Path file, Model model) throws IOException {
        Main.existingFile(file, "text file");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new Main.UsageException(file + " is not UTF-8 text; convert it first (e.g. iconv -t UTF-8)");
        }
        Tokenizer tokenizer = Tokenizer.fromMetadata(model.metadata());
        int[] tokens = tokenizer.encode(text, true, false);
        int bos = tokens.length > 0 && tokenizer.bos() >= 0 && tokens[0] == tokenizer.bos() ? tokenizer.bos() : -1;
        return new TextTokens(tokens, bos);
    }
}
