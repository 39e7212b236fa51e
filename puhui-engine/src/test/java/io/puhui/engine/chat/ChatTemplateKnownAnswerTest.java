// Real models' templates must produce exactly the prompt format each model documents; a wrong byte changes the model's answer.
package io.puhui.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.puhui.engine.SharedData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChatTemplateKnownAnswerTest {
    static final String S = "You are a helpful assistant.";
    static final String U1 = "Hello!";
    static final String A1 = "Hi! How can I help?";
    static final String U2 = "你好，请介绍一下普惠算力。";
    static final List<ChatMessage> CHAT = List.of(
            ChatMessage.system(S), ChatMessage.user(U1), ChatMessage.assistant(A1), ChatMessage.user(U2));

    static ChatTemplate shared(String file, String bos, String eos) {
        try {
            return ChatTemplate.of(Files.readString(SharedData.resolve("templates/" + file)), bos, eos);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void qwen25() {
        ChatTemplate t = shared("Qwen-Qwen2.5-7B-Instruct.jinja", null, "<|im_end|>");
        assertThat(t.render(CHAT, true)).isEqualTo(
                "<|im_start|>system\n" + S + "<|im_end|>\n"
                        + "<|im_start|>user\n" + U1 + "<|im_end|>\n"
                        + "<|im_start|>assistant\n" + A1 + "<|im_end|>\n"
                        + "<|im_start|>user\n" + U2 + "<|im_end|>\n"
                        + "<|im_start|>assistant\n");
        // without a system message Qwen2.5 introduces itself
        assertThat(t.render(List.of(ChatMessage.user(U2)), true)).isEqualTo(
                "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\n" + U2 + "<|im_end|>\n"
                        + "<|im_start|>assistant\n");
        assertThat(t.render(List.of(ChatMessage.user(U2)), false)).endsWith(U2 + "<|im_end|>\n");
    }

    @Test
    void qwen3ThinkingSwitch() {
        ChatTemplate t = shared("Qwen-Qwen3.jinja", null, "<|im_end|>");
        String history = "<|im_start|>system\n" + S + "<|im_end|>\n"
                + "<|im_start|>user\n" + U1 + "<|im_end|>\n"
                + "<|im_start|>assistant\n" + A1 + "<|im_end|>\n"
                + "<|im_start|>user\n" + U2 + "<|im_end|>\n";
        assertThat(t.render(CHAT, true)).isEqualTo(history + "<|im_start|>assistant\n");
        assertThat(t.render(CHAT, true, Map.of("enable_thinking", true))).isEqualTo(history + "<|im_start|>assistant\n");
        // enable_thinking=false pre-fills an empty think block so the model answers directly
        assertThat(t.render(CHAT, true, Map.of("enable_thinking", false)))
                .isEqualTo(history + "<|im_start|>assistant\n<think>\n\n</think>\n\n");
    }

    @Test
    void qwen3DropsReasoningOfEarlierTurnsButKeepsItAfterTheLastQuestion() {
        ChatTemplate t = shared("Qwen-Qwen3.jinja", null, null);
        String answered = "<think>\nplan\n</think>\n\nanswer";
        assertThat(t.render(List.of(ChatMessage.user(U1), ChatMessage.assistant(answered), ChatMessage.user(U2)), true))
                .isEqualTo("<|im_start|>user\n" + U1 + "<|im_end|>\n"
                        + "<|im_start|>assistant\nanswer<|im_end|>\n"
                        + "<|im_start|>user\n" + U2 + "<|im_end|>\n"
                        + "<|im_start|>assistant\n");
        assertThat(t.render(List.of(ChatMessage.user(U1), ChatMessage.assistant(answered)), false))
                .isEqualTo("<|im_start|>user\n" + U1 + "<|im_end|>\n"
                        + "<|im_start|>assistant\n<think>\nplan\n</think>\n\nanswer<|im_end|>\n");
    }

    private static String llama3(String date) {
        return "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: " + date + "\n\n" + S + "<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\n" + U1 + "<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n" + A1 + "<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\n" + U2 + "<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
    }

    @Test
    void llama31And33PrintTheirFixedDateUnlessGivenOne() {
        for (String file : List.of("meta-llama-Llama-3.1-8B-Instruct.jinja", "meta-llama-Llama-3.3-70B-Instruct.jinja")) {
            ChatTemplate t = shared(file, "<|begin_of_text|>", "<|eot_id|>");
            assertThat(t.render(CHAT, true)).as(file).isEqualTo(llama3("26 Jul 2024"));
            assertThat(t.render(CHAT, true, Map.of("date_string", "14 Mar 2025"))).as(file).isEqualTo(llama3("14 Mar 2025"));
        }
    }

    @Test
    void llama32TakesTodayFromTheClock() {
        Clock piDay = Clock.fixed(Instant.parse("2025-03-14T09:26:53Z"), ZoneOffset.UTC);
        ChatTemplate t = shared("meta-llama-Llama-3.2-3B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>").withClock(piDay);
        assertThat(t.render(CHAT, true)).isEqualTo(llama3("14 Mar 2025"));
    }

    @Test
    void mistralNemoPutsTheSystemPromptIntoTheLastUserTurn() {
        ChatTemplate t = shared("mistralai-Mistral-Nemo-Instruct-2407.jinja", "<s>", "</s>");
        assertThat(t.render(CHAT, true)).isEqualTo(
                "<s>[INST]" + U1 + "[/INST]" + A1 + "</s>[INST]" + S + "\n\n" + U2 + "[/INST]");
    }

    @Test
    void gemma2FoldsTheSystemPromptIntoTheFirstUserTurn() {
        ChatTemplate t = shared("google-gemma-2-2b-it.jinja", "<bos>", "<eos>");
        // the template itself raises "System role not supported"; the system text opens the first user turn instead
        assertThat(t.keepsSystemRole()).isFalse();
        assertThat(t.render(CHAT, true)).isEqualTo(
                "<bos><start_of_turn>user\n" + S + "\n\n" + U1 + "<end_of_turn>\n"
                        + "<start_of_turn>model\n" + A1 + "<end_of_turn>\n"
                        + "<start_of_turn>user\n" + U2 + "<end_of_turn>\n"
                        + "<start_of_turn>model\n");
    }

    @Test
    void phi35() {
        ChatTemplate t = shared("microsoft-Phi-3.5-mini-instruct.jinja", "<s>", "<|endoftext|>");
        String history = "<|system|>\n" + S + "<|end|>\n"
                + "<|user|>\n" + U1 + "<|end|>\n"
                + "<|assistant|>\n" + A1 + "<|end|>\n"
                + "<|user|>\n" + U2 + "<|end|>\n";
        assertThat(t.render(CHAT, true)).isEqualTo(history + "<|assistant|>\n");
        assertThat(t.render(CHAT, false)).isEqualTo(history + "<|endoftext|>");
    }

    @Test
    void phi3MiniFromGgmlVocabDropsSystemSoItIsFolded() {
        ChatTemplate t = shared("microsoft-Phi-3-mini-4k-instruct.from-ggml-vocab-phi-3.jinja", "<s>", "<|endoftext|>");
        assertThat(t.keepsSystemRole()).isFalse();
        assertThat(t.render(CHAT, true)).isEqualTo(
                "<s><|user|>\n" + S + "\n\n" + U1 + "<|end|>\n<|assistant|>\n" + A1 + "<|end|>\n"
                        + "<|user|>\n" + U2 + "<|end|>\n<|assistant|>\n");
    }

    @Test
    void deepSeekR1DistillOpensAThinkBlockAndDropsEarlierReasoning() {
        for (String file : List.of("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", "deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja")) {
            ChatTemplate t = shared(file, "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>");
            assertThat(t.render(CHAT, true)).as(file).isEqualTo(
                    "<｜begin▁of▁sentence｜>" + S + "<｜User｜>" + U1 + "<｜Assistant｜>" + A1 + "<｜end▁of▁sentence｜>"
                            + "<｜User｜>" + U2 + "<｜Assistant｜><think>\n");
            List<ChatMessage> reasoned = List.of(ChatMessage.user(U1), ChatMessage.assistant("<think>\nplan\n</think>\n\nanswer"),
                    ChatMessage.user(U2));
            assertThat(t.render(reasoned, true)).as(file).isEqualTo(
                    "<｜begin▁of▁sentence｜><｜User｜>" + U1 + "<｜Assistant｜>\n\nanswer<｜end▁of▁sentence｜>"
                            + "<｜User｜>" + U2 + "<｜Assistant｜><think>\n");
        }
    }

    @Test
    void llamaCppDeepSeekR1EndsEachUserTurn() {
        ChatTemplate t = shared("llama-cpp-deepseek-r1.jinja", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>");
        assertThat(t.render(CHAT, true)).isEqualTo(
                "<｜begin▁of▁sentence｜>" + S + "<｜User｜>" + U1 + "<｜end▁of▁sentence｜><｜Assistant｜>" + A1
                        + "<｜end▁of▁sentence｜><｜User｜>" + U2 + "<｜end▁of▁sentence｜><｜Assistant｜><think>\n");
    }

    static Map<String, Object> weatherTool() {
        Map<String, Object> city = new LinkedHashMap<>();
        city.put("type", "string");
        city.put("description", "城市名称");
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("type", "object");
        parameters.put("properties", Map.of("city", city));
        parameters.put("required", List.of("city"));
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", "get_weather");
        function.put("description", "Get the current weather");
        function.put("parameters", parameters);
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", function);
        return tool;
    }

    static final String WEATHER_JSON = "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", "
            + "\"description\": \"Get the current weather\", \"parameters\": {\"type\": \"object\", \"properties\": "
            + "{\"city\": {\"type\": \"string\", \"description\": \"城市名称\"}}, \"required\": [\"city\"]}}}";

    static List<ChatMessage> toolConversation() {
        Map<String, Object> call = new LinkedHashMap<>();
        call.put("id", "call00001");
        call.put("type", "function");
        call.put("function", Map.of("name", "get_weather", "arguments", Map.of("city", "北京")));
        return List.of(ChatMessage.user("北京天气怎么样？"), ChatMessage.assistantToolCalls(null, List.of(call)),
                ChatMessage.tool("{\"temperature\": 20}", "call00001"));
    }

    @Test
    void qwen25ListsToolsAsJsonAndWrapsCallsAndResults() {
        ChatTemplate t = shared("Qwen-Qwen2.5-7B-Instruct.jinja", null, null);
        List<ChatMessage> chat = new java.util.ArrayList<>(List.of(ChatMessage.system(S)));
        chat.addAll(toolConversation());
        assertThat(t.render(chat, true, Map.of("tools", List.of(weatherTool())))).isEqualTo(
                "<|im_start|>system\n" + S + "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                        + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
                        + WEATHER_JSON + "\n</tools>\n\n"
                        + "For each function call, return a json object with function name and arguments within "
                        + "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
                        + "<args-json-object>}\n</tool_call><|im_end|>\n"
                        + "<|im_start|>user\n北京天气怎么样？<|im_end|>\n"
                        + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"北京\"}}\n"
                        + "</tool_call><|im_end|>\n"
                        + "<|im_start|>user\n<tool_response>\n{\"temperature\": 20}\n</tool_response><|im_end|>\n"
                        + "<|im_start|>assistant\n");
    }

    @Test
    void hermes2ProDescribesToolsWithPythonTypes() {
        ChatTemplate t = shared("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja", "<|begin_of_text|>", "<|im_end|>");
        assertThat(t.render(toolConversation(), true, Map.of("tools", List.of(weatherTool())))).isEqualTo(
                "<|begin_of_text|><|im_start|>system\nYou are a function calling AI model. You are provided with function "
                        + "signatures within <tools></tools> XML tags. You may call one or more functions to assist with the "
                        + "user query. Don't make assumptions about what values to plug into functions. Here are the available "
                        + "tools: <tools> {\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": "
                        + "\"get_weather(city: str) - Get the current weather\n\n    Args:\n        city(str): 城市名称\", "
                        + "\"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", "
                        + "\"description\": \"城市名称\"}}, \"required\": [\"city\"]}} </tools>"
                        + "Use the following pydantic model json schema for each tool call you will make: {\"properties\": "
                        + "{\"name\": {\"title\": \"Name\", \"type\": \"string\"}, \"arguments\": {\"title\": \"Arguments\", "
                        + "\"type\": \"object\"}}, \"required\": [\"name\", \"arguments\"], \"title\": \"FunctionCall\", "
                        + "\"type\": \"object\"}}\n"
                        + "For each function call return a json object with function name and arguments within "
                        + "<tool_call></tool_call> XML tags as follows:\n<tool_call>\n"
                        + "{\"name\": <function-name>, \"arguments\": <args-dict>}\n</tool_call><|im_end|>\n"
                        + "<|im_start|>user\n北京天气怎么样？<|im_end|>\n"
                        + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"北京\"}}"
                        + "\n</tool_call><|im_end|>\n"
                        + "<|im_start|>tool\n<tool_response>\n{\"temperature\": 20}\n</tool_response><|im_end|>"
                        + "<|im_start|>assistant\n");
    }

    @Test
    void llama31PutsToolsIntoTheFirstUserTurnAsIndentedJson() {
        ChatTemplate t = shared("meta-llama-Llama-3.1-8B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>");
        String out = t.render(toolConversation(), true, Map.of("tools", List.of(weatherTool())));
        assertThat(out).isEqualTo("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Environment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\n"
                + "Given the following functions, please respond with a JSON for a function call with its proper arguments "
                + "that best answers the given prompt.\n\n"
                + "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}."
                + "Do not use variables.\n\n"
                + "{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n"
                + "        \"description\": \"Get the current weather\",\n        \"parameters\": {\n"
                + "            \"type\": \"object\",\n            \"properties\": {\n                \"city\": {\n"
                + "                    \"type\": \"string\",\n                    \"description\": \"城市名称\"\n"
                + "                }\n            },\n            \"required\": [\n                \"city\"\n"
                + "            ]\n        }\n    }\n}\n\n"
                + "北京天气怎么样？<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", \"parameters\": {\"city\": \"北京\"}}"
                + "<|eot_id|>"
                // a string tool result is "iterable" in Jinja2, so this template JSON-encodes it
                + "<|start_header_id|>ipython<|end_header_id|>\n\n\"{\\\"temperature\\\": 20}\"<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    @Test
    void chatmlIsTheFallbackForModelsWithoutATemplate() {
        io.puhui.engine.gguf.Metadata metadata = new io.puhui.engine.gguf.Metadata();
        ChatTemplate t = ChatTemplate.fromMetadata(metadata);
        assertThat(t.source()).isEqualTo(ChatTemplate.CHATML);
        assertThat(t.render(CHAT, true)).isEqualTo(
                "<|im_start|>system\n" + S + "<|im_end|>\n"
                        + "<|im_start|>user\n" + U1 + "<|im_end|>\n"
                        + "<|im_start|>assistant\n" + A1 + "<|im_end|>\n"
                        + "<|im_start|>user\n" + U2 + "<|im_end|>\n"
                        + "<|im_start|>assistant\n");
        assertThat(t.render(List.of(ChatMessage.user(U2)), false)).isEqualTo("<|im_start|>user\n" + U2 + "<|im_end|>\n");
    }

    @Test
    void toolsMayArriveAsJacksonTrees() throws Exception {
        ChatTemplate t = shared("Qwen-Qwen2.5-7B-Instruct.jinja", null, null);
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var tools = json.readTree("[" + WEATHER_JSON + "]");
        assertThat(t.render(toolConversation(), true, Map.of("tools", tools)))
                .isEqualTo(t.render(toolConversation(), true, Map.of("tools", List.of(weatherTool()))))
                .contains(WEATHER_JSON);
    }

    @Test
    void qwen3TemplateFromTokenizerConfigIsTheSharedOne() throws Exception {
        var config = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(SharedData.resolve("tokenizers/qwen3/tokenizer_config.json").toFile());
        ChatTemplate fromConfig = ChatTemplate.of(config.get("chat_template").asText(),
                null, config.get("eos_token").asText());
        ChatTemplate fromFile = shared("Qwen-Qwen3.jinja", null, "<|im_end|>");
        assertThat(fromConfig.render(CHAT, true, Map.of("enable_thinking", false)))
                .isEqualTo(fromFile.render(CHAT, true, Map.of("enable_thinking", false)))
                .endsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n");
    }
}
