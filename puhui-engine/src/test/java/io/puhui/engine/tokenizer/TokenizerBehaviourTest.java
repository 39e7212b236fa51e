// What users of the tokenizers rely on beyond the vectors: round trips, streaming bytes, special tokens, errors.
package io.puhui.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.puhui.engine.SharedData;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.gguf.Metadata;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TokenizerBehaviourTest {
    static final List<String> TEXTS = List.of("Hello, world!", "普惠算力，让每个人都能用上生成式人工智能。",
            "mixed 中英文 text 😀 with emoji 🚀", "  leading and trailing  ", "tabs\tand\nnewlines\n\n", "ünïcödé ß");
    static Tokenizer qwen;
    static Tokenizer spm;

    @BeforeAll
    static void load() throws IOException {
        qwen = Tokenizer.fromMetadata(HfTokenizerImport.read(SharedData.resolve("tokenizers/qwen3/tokenizer.json"), null));
        try (GgufFile f = GgufFile.open(SharedData.resolve("tokenizers/ggml-vocab-llama-spm.gguf"))) {
            spm = Tokenizer.fromMetadata(f.metadata());
        }
    }

    static byte[] streamed(Tokenizer t, int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            out.writeBytes(t.tokenBytes(id));
        }
        return out.toByteArray();
    }

    @Test
    void textSurvivesARoundTripInBothKinds() {
        for (String s : TEXTS) {
            int[] q = qwen.encode(s, false, false);
            assertThat(qwen.decode(q)).as("qwen: %s", s).isEqualTo(s);
            assertThat(streamed(qwen, q)).isEqualTo(s.getBytes(StandardCharsets.UTF_8));
            int[] p = spm.encode(s, false, false);
            assertThat(spm.decode(p)).as("spm: %s", s).isEqualTo(s);
        }
    }

    @Test
    void chineseIsTokenizedCompactlyNotByteByByte() {
        String s = "普惠算力，让每个人都能用上生成式人工智能。";
        assertThat(qwen.encode(s, false, false).length).isLessThan(s.length());
    }

    @Test
    void specialTokensAreParsedOnlyWhenAsked() {
        int imStart = qwen.tokenId("<|im_start|>").orElseThrow();
        int[] parsed = qwen.encode("<|im_start|>user\n你好", false, true);
        assertThat(parsed[0]).isEqualTo(imStart);
        assertThat(qwen.decode(java.util.Arrays.copyOfRange(parsed, 1, parsed.length))).isEqualTo("user\n你好");
        int[] plain = qwen.encode("<|im_start|>user", false, false);
        assertThat(plain).doesNotContain(imStart);
        assertThat(qwen.decode(plain)).isEqualTo("<|im_start|>user");
        // control tokens print nothing when generated
        assertThat(qwen.tokenBytes(imStart)).isEmpty();
    }

    @Test
    void chatEndMarkersEndGeneration() {
        assertThat(qwen.isEndOfGeneration(qwen.tokenId("<|im_end|>").orElseThrow())).isTrue();
        assertThat(qwen.isEndOfGeneration(qwen.tokenId("<|endoftext|>").orElseThrow())).isTrue();
        assertThat(qwen.isEndOfGeneration(qwen.encode("hello", false, false)[0])).isFalse();
        assertThat(spm.isEndOfGeneration(spm.eos())).isTrue();
    }

    @Test
    void bosIsAddedAsTheModelAsks() {
        assertThat(spm.encode("Hello", true, false)[0]).isEqualTo(spm.bos());
        assertThat(spm.encode("Hello", false, false)[0]).isNotEqualTo(spm.bos());
        assertThat(spm.encode("", true, false)).containsExactly(spm.bos());
        assertThat(spm.decode(spm.encode("Hello world", true, false))).isEqualTo("Hello world");
    }

    @Test
    void storiesPromptMatchesLlamaCppIds() throws IOException {
        try (GgufFile f = GgufFile.open(SharedData.stories260K())) {
            Tokenizer t = Tokenizer.fromMetadata(f.metadata());
            assertThat(t.encode("Once upon a time", false, false)).containsExactly(403, 407, 261, 378);
        }
    }

    @Test
    void unknownKindsAreNamed() {
        Metadata m = new Metadata().putString("tokenizer.ggml.model", "rwkv")
                .put("tokenizer.ggml.tokens", io.puhui.engine.gguf.MetaValue.array(io.puhui.engine.gguf.ValueType.STRING,
                        new String[] {"a"}));
        assertThatThrownBy(() -> Tokenizer.fromMetadata(m)).hasMessageContaining("unsupported tokenizer model 'rwkv'")
                .hasMessageContaining("gpt2");
        Metadata p = m.copy().putString("tokenizer.ggml.model", "gpt2").putString("tokenizer.ggml.pre", "klingon");
        assertThatThrownBy(() -> Tokenizer.fromMetadata(p)).hasMessageContaining("unsupported pre-tokenizer 'klingon'")
                .hasMessageContaining("qwen2");
        assertThatThrownBy(() -> Tokenizer.fromMetadata(new Metadata())).hasMessageContaining("no tokenizer");
    }
}
