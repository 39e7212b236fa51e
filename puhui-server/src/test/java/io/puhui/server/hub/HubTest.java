// The two hubs' URL layouts and how the environment chooses endpoints and the hub tried first.
package io.puhui.server.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HubTest {

    @Test
    void endpointsComeFromTheEnvironmentWithDefaults() {
        assertThat(Hub.MODELSCOPE.endpoint(Map.of())).isEqualTo(URI.create("https://modelscope.cn"));
        assertThat(Hub.HUGGINGFACE.endpoint(Map.of())).isEqualTo(URI.create("https://huggingface.co"));
        assertThat(Hub.HUGGINGFACE.endpoint(Map.of("HF_ENDPOINT", "https://hf-mirror.com/")))
                .isEqualTo(URI.create("https://hf-mirror.com"));
        assertThat(Hub.HUGGINGFACE.endpoint(Map.of("HF_ENDPOINT", "https://hf-mirror.com",
                "PUHUI_HF_ENDPOINT", "http://10.0.0.2:8080/hf"))).isEqualTo(URI.create("http://10.0.0.2:8080/hf"));
        assertThat(Hub.MODELSCOPE.endpoint(Map.of("PUHUI_MODELSCOPE_ENDPOINT", "https://www.modelscope.cn")))
                .isEqualTo(URI.create("https://www.modelscope.cn"));
        assertThatThrownBy(() -> Hub.MODELSCOPE.endpoint(Map.of("PUHUI_MODELSCOPE_ENDPOINT", "modelscope.cn")))
                .hasMessageContaining("PUHUI_MODELSCOPE_ENDPOINT=modelscope.cn is not an http(s) URL");
    }

    @Test
    void fileUrlsFollowEachHubsLayout() {
        assertThat(Hub.HUGGINGFACE.fileUrl(URI.create("https://huggingface.co"), "Qwen/Qwen3-0.6B-GGUF",
                "Qwen3-0.6B-Q8_0.gguf")).hasToString(
                "https://huggingface.co/Qwen/Qwen3-0.6B-GGUF/resolve/main/Qwen3-0.6B-Q8_0.gguf");
        assertThat(Hub.MODELSCOPE.fileUrl(URI.create("https://modelscope.cn"), "Qwen/Qwen3-0.6B-GGUF",
                "dir/Qwen3 0.6B+Q8_0.gguf")).hasToString(
                "https://modelscope.cn/api/v1/models/Qwen/Qwen3-0.6B-GGUF/repo?Revision=master"
                        + "&FilePath=dir/Qwen3%200.6B%2BQ8_0.gguf");
        assertThat(Hub.MODELSCOPE.listingUrl(URI.create("https://modelscope.cn"), "Qwen/Qwen3-0.6B-GGUF"))
                .hasToString("https://modelscope.cn/api/v1/models/Qwen/Qwen3-0.6B-GGUF/repo/files"
                        + "?Revision=master&Recursive=true");
    }

    @Test
    void theHubTriedFirst() {
        assertThat(Hub.preferred(Map.of())).isEqualTo(Hub.MODELSCOPE);
        assertThat(Hub.preferred(Map.of("PUHUI_HUB", "huggingface"))).isEqualTo(Hub.HUGGINGFACE);
        assertThat(Hub.preferred(Map.of("PUHUI_HUB", "HF"))).isEqualTo(Hub.HUGGINGFACE);
        assertThat(Hub.preferred(Map.of("PUHUI_HUB", "ms"))).isEqualTo(Hub.MODELSCOPE);
        assertThatThrownBy(() -> Hub.preferred(Map.of("PUHUI_HUB", "hugging")))
                .hasMessageContaining("PUHUI_HUB=hugging is not a hub");
    }

    @Test
    void onlyA64HexEtagIsTakenForASha256() {
        String sha = "a".repeat(64);
        assertThat(HubClient.sha256("\"" + sha + "\"")).isEqualTo(sha);
        assertThat(HubClient.sha256("W/\"" + sha.toUpperCase() + "\"")).isEqualTo(sha);
        assertThat(HubClient.sha256(sha)).isEqualTo(sha);
        assertThat(HubClient.sha256("\"" + "a".repeat(40) + "\"")).isNull();
        assertThat(HubClient.sha256("\"d41d8cd98f00b204e9800998ecf8427e\"")).isNull();
        assertThat(HubClient.sha256("")).isNull();
    }
}
