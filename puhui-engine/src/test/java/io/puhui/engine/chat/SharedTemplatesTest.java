// Every chat template in the shared collection renders an ordinary four-turn conversation into a sane prompt.
package io.puhui.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.puhui.engine.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SharedTemplatesTest {
    /** How each model's prompt ends when the assistant is to answer next. */
    static final Map<String, String> GENERATION_PROMPT = Map.ofEntries(
            Map.entry("CohereForAI-c4ai-command-r-plus-tool_use.jinja", "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>"),
            Map.entry("CohereForAI-c4ai-command-r7b-12-2024-tool_use.jinja", "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>"),
            Map.entry("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja", "<|im_start|>assistant\n"),
            Map.entry("NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja", "<|im_start|>assistant\n"),
            Map.entry("Qwen-Qwen2.5-7B-Instruct.jinja", "<|im_start|>assistant\n"),
            Map.entry("Qwen-Qwen3.jinja", "<|im_start|>assistant\n"),
            Map.entry("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja", "<｜Assistant｜><think>\n"),
            Map.entry("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", "<｜Assistant｜><think>\n"),
            Map.entry("fireworks-ai-llama-3-firefunction-v2.jinja", "<|start_header_id|>assistant<|end_header_id|>\n\n"),
            Map.entry("google-gemma-2-2b-it.jinja", "<start_of_turn>model\n"),
            Map.entry("llama-cpp-deepseek-r1.jinja", "<｜Assistant｜><think>\n"),
            Map.entry("meetkai-functionary-medium-v3.1.jinja", "<|start_header_id|>assistant<|end_header_id|>\n\n"),
            Map.entry("meetkai-functionary-medium-v3.2.jinja", "<|start_header_id|>assistant<|end_header_id|>\n\n>>>"),
            Map.entry("meta-llama-Llama-3.1-8B-Instruct.jinja", "<|start_header_id|>assistant<|end_header_id|>\n\n"),
            Map.entry("meta-llama-Llama-3.2-3B-Instruct.jinja", "<|start_header_id|>assistant<|end_header_id|>\n\n"),
            Map.entry("meta-llama-Llama-3.3-70B-Instruct.jinja", "<|start_header_id|>assistant<|end_header_id|>\n\n"),
            Map.entry("microsoft-Phi-3-mini-4k-instruct.from-ggml-vocab-phi-3.jinja", "<|assistant|>\n"),
            Map.entry("microsoft-Phi-3.5-mini-instruct.jinja", "<|assistant|>\n"),
            // Mistral has no assistant header: the reply follows the closed instruction
            Map.entry("mistralai-Mistral-Nemo-Instruct-2407.jinja", "[/INST]"));

    static Stream<String> templates() throws IOException {
        try (Stream<Path> files = Files.list(SharedData.resolve("templates"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jinja")).sorted().toList().stream();
        }
    }

    @Test
    void everySharedTemplateHasAnExpectation() throws IOException {
        assertThat(templates().toList()).containsExactlyInAnyOrderElementsOf(GENERATION_PROMPT.keySet());
    }

    @ParameterizedTest
    @MethodSource("templates")
    void rendersSystemUserAssistantUser(String file) {
        ChatTemplate t = ChatTemplateKnownAnswerTest.shared(file, "<BOS>", "<EOS>");
        // firefunction-v2 prints these two variables in its system prompt
        String out = t.render(ChatTemplateKnownAnswerTest.CHAT, true, Map.of("functions", "[]", "datetime", "2025-03-14"));

        for (ChatMessage m : ChatTemplateKnownAnswerTest.CHAT) {
            // every turn reaches the prompt; templates without a system role get it folded into the first user turn
            assertThat(out).as(file).contains(m.content());
        }
        assertThat(out).as(file).endsWith(GENERATION_PROMPT.get(file));
        assertThat(out.indexOf(ChatTemplateKnownAnswerTest.U1)).as(file)
                .isLessThan(out.indexOf(ChatTemplateKnownAnswerTest.A1))
                .isLessThan(out.indexOf(ChatTemplateKnownAnswerTest.U2));
        // nothing of Java's or of the template's source leaks into the prompt
        assertThat(out).as(file).doesNotContain("null", "{{", "{%", "java.", "=system", "SafeString", "PyList");
    }

    /** Templates that end every prompt with the assistant header whatever add_generation_prompt says. */
    static final Set<String> ALWAYS_OPEN_THE_REPLY = Set.of(
            "CohereForAI-c4ai-command-r7b-12-2024-tool_use.jinja",
            "fireworks-ai-llama-3-firefunction-v2.jinja",
            "microsoft-Phi-3-mini-4k-instruct.from-ggml-vocab-phi-3.jinja",
            "mistralai-Mistral-Nemo-Instruct-2407.jinja");

    @ParameterizedTest
    @MethodSource("templates")
    void withoutGenerationPromptTheReplyIsNotOpened(String file) {
        ChatTemplate t = ChatTemplateKnownAnswerTest.shared(file, "<BOS>", "<EOS>");
        String out = t.render(List.of(ChatMessage.user(ChatTemplateKnownAnswerTest.U2)), false,
                Map.of("functions", "[]", "datetime", "2025-03-14"));
        assertThat(out).as(file).contains(ChatTemplateKnownAnswerTest.U2);
        if (ALWAYS_OPEN_THE_REPLY.contains(file)) {
            assertThat(out).as(file).endsWith(GENERATION_PROMPT.get(file));
        } else {
            assertThat(out).as(file).doesNotEndWith(GENERATION_PROMPT.get(file));
        }
    }
}
