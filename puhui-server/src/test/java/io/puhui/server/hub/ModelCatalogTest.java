// The built-in catalog: the models it promises, their default tags, and errors for names it does not have.
package io.puhui.server.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ModelCatalogTest {

    private final ModelCatalog catalog = ModelCatalog.builtIn();

    @Test
    void hasTheModelsUsersAreToldAbout() {
        assertThat(catalog.names()).contains("qwen2.5-0.5b-instruct", "qwen2.5-1.5b-instruct", "qwen3-0.6b",
                "llama-3.2-1b-instruct", "smollm2-135m-instruct");
        for (ModelCatalog.Entry e : catalog.entries()) {
            assertThat(e.tags()).as(e.name()).containsKey(e.defaultTag());
            e.tags().values().forEach(files -> assertThat(files).as(e.name()).containsKeys(Hub.values()));
        }
    }

    @Test
    void theDefaultChatModelIsSmallQwenOnModelScope() {
        ModelCatalog.Resolved r = catalog.resolve(ModelCatalog.defaultChatModel());
        assertThat(r.text()).isEqualTo("qwen2.5-0.5b-instruct:q4_k_m");
        assertThat(r.files().get(Hub.MODELSCOPE)).isEqualTo(new HubFile(Hub.MODELSCOPE,
                "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "qwen2.5-0.5b-instruct-q4_k_m.gguf"));
        assertThat(r.files().get(Hub.HUGGINGFACE).source())
                .isEqualTo("hf://Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf");
    }

    @Test
    void aNameWithoutTagGetsTheDefaultTag() {
        assertThat(catalog.resolve(new ModelRef.Named("qwen2.5-0.5b-instruct", null)).tag()).isEqualTo("q4_k_m");
        ModelCatalog.Resolved qwen3 = catalog.resolve(new ModelRef.Named("qwen3-0.6b", null));
        assertThat(qwen3.files().get(Hub.MODELSCOPE).source())
                .isEqualTo("ms://Qwen/Qwen3-0.6B-GGUF/Qwen3-0.6B-Q8_0.gguf");
        ModelCatalog.Resolved llama = catalog.resolve(new ModelRef.Named("llama-3.2-1b-instruct", null));
        assertThat(llama.files().get(Hub.HUGGINGFACE).source())
                .isEqualTo("hf://bartowski/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf");
        ModelCatalog.Resolved smol = catalog.resolve(new ModelRef.Named("smollm2-135m-instruct", null));
        assertThat(smol.files().get(Hub.MODELSCOPE).file()).isEqualTo("SmolLM2-135M-Instruct-Q8_0.gguf");
        assertThat(catalog.resolve(new ModelRef.Named("qwen2.5-1.5b-instruct", "fp16")).files().get(Hub.MODELSCOPE)
                .file()).isEqualTo("qwen2.5-1.5b-instruct-fp16.gguf");
    }

    @Test
    void anUnknownNameListsTheKnownNames() {
        assertThatThrownBy(() -> catalog.resolve(new ModelRef.Named("qwen9", null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown model 'qwen9'")
                .hasMessageContaining("qwen2.5-0.5b-instruct, qwen2.5-1.5b-instruct, qwen3-0.6b");
    }

    @Test
    void anUnknownTagListsTheModelsTags() {
        assertThatThrownBy(() -> catalog.resolve(new ModelRef.Named("qwen2.5-0.5b-instruct", "q2_k")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no tag 'q2_k'")
                .hasMessageContaining("q4_k_m, q8_0, fp16");
    }

    @Test
    void perHubFileNamesAndSingleHubEntries() throws Exception {
        String json = """
                {"models": [{"name": "m", "defaultTag": "a",
                  "repos": {"ms": "o/r-ms", "huggingface": "o/r-hf"},
                  "tags": {"a": {"modelscope": "a-ms.gguf", "huggingface": "a-hf.gguf"},
                           "b": {"huggingface": "b.gguf"}}}]}
                """;
        ModelCatalog c = ModelCatalog.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
        ModelCatalog.Resolved a = c.resolve(new ModelRef.Named("m", null));
        assertThat(a.files().get(Hub.MODELSCOPE).source()).isEqualTo("ms://o/r-ms/a-ms.gguf");
        assertThat(a.files().get(Hub.HUGGINGFACE).source()).isEqualTo("hf://o/r-hf/a-hf.gguf");
        assertThat(c.resolve(new ModelRef.Named("m", "b")).files()).containsOnlyKeys(Hub.HUGGINGFACE);
    }

    @Test
    void aCatalogWhoseDefaultTagIsMissingIsRejected() {
        String json = """
                {"models": [{"name": "m", "defaultTag": "zz", "repos": {"ms": "o/r"}, "tags": {"a": "a.gguf"}}]}
                """;
        assertThatThrownBy(() -> ModelCatalog.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("default tag 'zz'");
    }
}
