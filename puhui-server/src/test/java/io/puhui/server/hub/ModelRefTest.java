// What users type for a model: the accepted forms, and errors that show them when the input fits none.
package io.puhui.server.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModelRefTest {

    @Test
    void aCatalogNameWithAndWithoutTag() {
        assertThat(ModelRef.parse("qwen2.5-0.5b-instruct:q4_k_m"))
                .isEqualTo(new ModelRef.Named("qwen2.5-0.5b-instruct", "q4_k_m"));
        assertThat(ModelRef.parse("  Qwen2.5-0.5B-Instruct "))
                .isEqualTo(new ModelRef.Named("qwen2.5-0.5b-instruct", null));
        assertThat(ModelRef.parse("qwen3-0.6b").text()).isEqualTo("qwen3-0.6b");
    }

    @Test
    void hubFilesKeepTheirCaseAndPath() {
        ModelRef hf = ModelRef.parse("hf://bartowski/Llama-3.2-1B-Instruct-GGUF/Llama-3.2-1B-Instruct-Q4_K_M.gguf");
        assertThat(hf).isEqualTo(new ModelRef.Direct(new HubFile(Hub.HUGGINGFACE,
                "bartowski/Llama-3.2-1B-Instruct-GGUF", "Llama-3.2-1B-Instruct-Q4_K_M.gguf")));

        ModelRef ms = ModelRef.parse("ms://Qwen/Qwen3-0.6B-GGUF/sub/dir/Qwen3-0.6B-Q8_0.gguf");
        assertThat(ms).isEqualTo(new ModelRef.Direct(new HubFile(Hub.MODELSCOPE, "Qwen/Qwen3-0.6B-GGUF",
                "sub/dir/Qwen3-0.6B-Q8_0.gguf")));
        assertThat(ms.text()).isEqualTo("ms://Qwen/Qwen3-0.6B-GGUF/sub/dir/Qwen3-0.6B-Q8_0.gguf");
        assertThat(ModelRef.parse(ms.text())).isEqualTo(ms);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "qwen:", ":q4", "a:b:c", "qwen 2.5", "qwen/0.5b", "-qwen", "qwen:q4 k",
        "gh://Qwen/Repo/x.gguf", "hf://Qwen", "hf://Qwen/Repo", "hf://Qwen/Repo/", "hf://Qwen/Repo/README.md",
        "ms://Qwen/Repo/../../etc/x.gguf", "ms://Qwen/Repo/a//x.gguf", "hf:///Repo/x.gguf", "hf://Qw en/Repo/x.gguf",
        "ms://Qwen/Repo/a\\b.gguf"})
    void badInputSaysWhichFormsAreAccepted(String input) {
        assertThatThrownBy(() -> ModelRef.parse(input))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("qwen2.5-0.5b-instruct:q4_k_m")
                .hasMessageContaining("ms://OWNER/REPO/")
                .hasMessageContaining("hf://OWNER/REPO/");
    }

    @Test
    void errorsNameWhatWasWrong() {
        assertThatThrownBy(() -> ModelRef.parse("hf://Qwen/Qwen2.5-0.5B-Instruct-GGUF"))
                .hasMessageContaining("names no file");
        assertThatThrownBy(() -> ModelRef.parse("hf://Qwen/Repo/README.md")).hasMessageContaining("not a .gguf file");
        assertThatThrownBy(() -> ModelRef.parse("ms://Qwen/Repo/../x.gguf")).hasMessageContaining("'..'");
        assertThatThrownBy(() -> ModelRef.parse("git://Qwen/Repo/x.gguf")).hasMessageContaining("unknown hub 'git://'");
        assertThatThrownBy(() -> ModelRef.parse("Qwen/Repo/x.gguf")).hasMessageContaining("no ms:// or hf://");
    }

    @Test
    void aHubFileLivesUnderItsHubAndRepository() {
        HubFile f = new HubFile(Hub.MODELSCOPE, "Qwen/Qwen3-0.6B-GGUF", "q/Qwen3-0.6B-Q8_0.gguf");
        assertThat(f.localPath(java.nio.file.Path.of("/m")))
                .isEqualTo(java.nio.file.Path.of("/m/modelscope/Qwen/Qwen3-0.6B-GGUF/q/Qwen3-0.6B-Q8_0.gguf"));
        assertThat(f.source()).isEqualTo("ms://Qwen/Qwen3-0.6B-GGUF/q/Qwen3-0.6B-Q8_0.gguf");
    }
}
