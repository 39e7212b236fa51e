// A GGUF model brings its own chat template and special tokens; both must reach the rendered prompt.
package io.puhui.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.puhui.engine.SharedData;
import io.puhui.engine.gguf.GgufFile;
import io.puhui.engine.gguf.Metadata;
import io.puhui.engine.gguf.MetaValue;
import io.puhui.engine.gguf.ValueType;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ChatTemplateFromMetadataTest {

    private static Metadata vocab(String template) {
        Metadata m = new Metadata();
        m.put("tokenizer.ggml.tokens", MetaValue.array(ValueType.STRING, new String[] {"<unk>", "<s>", "</s>", "hello"}));
        m.putUInt32("tokenizer.ggml.bos_token_id", 1);
        m.putUInt32("tokenizer.ggml.eos_token_id", 2);
        if (template != null) {
            m.putString("tokenizer.chat_template", template);
        }
        return m;
    }

    @Test
    void usesTheShippedTemplateAndSpecialTokens() {
        ChatTemplate t = ChatTemplate.fromMetadata(vocab("{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}"
                + "{{ eos_token }}{% endfor %}"));
        assertThat(t.bosToken()).isEqualTo("<s>");
        assertThat(t.eosToken()).isEqualTo("</s>");
        assertThat(t.render(List.of(ChatMessage.user("你好")), false)).isEqualTo("<s>[user]你好</s>");
    }

    @Test
    void readsTheTemplateOfARealGgufVocabulary() throws Exception {
        // llama.cpp's Phi-3 vocabulary file carries Phi-3-mini's template and its <s> / <|endoftext|> tokens
        try (GgufFile gguf = GgufFile.open(SharedData.resolve("tokenizers/ggml-vocab-phi-3.gguf"))) {
            ChatTemplate t = ChatTemplate.fromMetadata(gguf.metadata());
            assertThat(t.bosToken()).isEqualTo("<s>");
            assertThat(t.render(List.of(ChatMessage.user("你好"), ChatMessage.assistant("Hi"), ChatMessage.user("?")), true))
                    .isEqualTo("<s><|user|>\n你好<|end|>\n<|assistant|>\nHi<|end|>\n<|user|>\n?<|end|>\n<|assistant|>\n");
        }
    }

    @Test
    void fallsBackToChatmlWithoutATemplate() {
        ChatTemplate t = ChatTemplate.fromMetadata(vocab(null));
        assertThat(t.render(List.of(ChatMessage.user("hi")), true))
                .isEqualTo("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void namedTemplatesAreFoundBySuffix() {
        Metadata m = vocab("{{ 'main' }}");
        m.putString("tokenizer.chat_template.tool_use", "{{ bos_token }}tools:{{ tools|length }}");
        assertThat(ChatTemplate.fromMetadata(m, "tool_use").orElseThrow()
                .render(List.of(), false, java.util.Map.of("tools", List.of(1, 2)))).isEqualTo("<s>tools:2");
        assertThat(ChatTemplate.fromMetadata(m, "default").orElseThrow().render(List.of(), false)).isEqualTo("main");
        assertThat(ChatTemplate.fromMetadata(m, "rag")).isEmpty();
    }

    @Test
    void aTokenIdOutsideTheVocabularyIsReported() {
        Metadata m = vocab(null);
        m.putUInt32("tokenizer.ggml.bos_token_id", 99);
        assertThatThrownBy(() -> ChatTemplate.fromMetadata(m))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tokenizer.ggml.bos_token_id = 99");
    }

    @Test
    void strftimeNowReadsTheInjectedClock() {
        ChatTemplate t = ChatTemplate.of("{{ strftime_now('%Y-%m-%d %H:%M %a %B') }}", null, null)
                .withClock(Clock.fixed(Instant.parse("2024-07-26T08:05:00Z"), ZoneOffset.UTC));
        assertThat(t.render(List.of(), false)).isEqualTo("2024-07-26 08:05 Fri July");
    }

    @Test
    void oneTemplateRendersCorrectlyFromManyThreads() throws Exception {
        ChatTemplate t = ChatTemplateKnownAnswerTest.shared("Qwen-Qwen3.jinja", null, null);
        String expected = t.render(ChatTemplateKnownAnswerTest.CHAT, true);
        List<Callable<String>> jobs = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            int n = i;
            jobs.add(() -> t.render(List.of(ChatMessage.user("q" + n)), true).equals(
                    "<|im_start|>user\nq" + n + "<|im_end|>\n<|im_start|>assistant\n") ? t.render(ChatTemplateKnownAnswerTest.CHAT, true) : "mismatch");
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            for (Future<String> f : pool.invokeAll(jobs)) {
                assertThat(f.get()).isEqualTo(expected);
            }
        }
    }
}
