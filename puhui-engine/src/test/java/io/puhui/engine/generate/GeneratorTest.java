// Generation end to end on a real trained model: llama.cpp's text, seeds, limits, stop strings, logprobs.
package io.puhui.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.puhui.engine.SharedData;
import io.puhui.engine.model.ContextFullException;
import io.puhui.engine.model.Model;
import io.puhui.engine.sampling.SamplingParams;
import io.puhui.engine.tensor.ThreadTeam;
import io.puhui.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GeneratorTest {
    static final String STORIES_48 = ", there was a little girl named Lily. She loved to play outside in the park. "
            + "One day, she saw a big, red ball. She wanted to play with it,";
    static Model model;
    static ThreadTeam team;
    static Generator generator;
    static int[] prompt;

    @BeforeAll
    static void load() throws IOException {
        model = Model.load(SharedData.stories260K());
        team = new ThreadTeam(2);
        Tokenizer t = Tokenizer.fromMetadata(model.metadata());
        generator = new Generator(model, t, team, 512);
        prompt = t.encode("Once upon a time", true, false);
    }

    @AfterAll
    static void close() {
        team.close();
        model.close();
    }

    @Test
    void greedyTextIsLlamaCppsAndStreamsPieceByPiece() {
        List<String> pieces = new ArrayList<>();
        GenerationResult r = generator.generate(prompt, GenerationOptions.of(SamplingParams.GREEDY, 48), e -> {
            pieces.add(e.text());
            return true;
        });
        assertThat(r.text()).isEqualTo(STORIES_48);
        assertThat(String.join("", pieces)).isEqualTo(STORIES_48);
        assertThat(r.completionTokens()).isEqualTo(48);
        assertThat(r.promptTokens()).isEqualTo(5);
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
    }

    @Test
    void sameSeedSameStoryOtherSeedOtherStory() {
        SamplingParams p = SamplingParams.DEFAULT.withTemperature(1.0f).withSeed(7);
        String a = generator.generate(prompt, GenerationOptions.of(p, 40), e -> true).text();
        String b = generator.generate(prompt, GenerationOptions.of(p, 40), e -> true).text();
        String c = generator.generate(prompt, GenerationOptions.of(p.withSeed(8), 40), e -> true).text();
        assertThat(a).isEqualTo(b).isNotEqualTo(c);
    }

    @Test
    void stopStringEndsTheTextBeforeIt() {
        GenerationResult r = generator.generate(prompt,
                GenerationOptions.of(SamplingParams.GREEDY, 48).withStop(List.of("Lily")), e -> true);
        assertThat(r.text()).isEqualTo(", there was a little girl named ");
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
    }

    @Test
    void logprobsComeWithEveryToken() {
        List<TokenEvent> events = new ArrayList<>();
        generator.generate(prompt, GenerationOptions.of(SamplingParams.GREEDY.withTopLogprobs(3), 5), e -> {
            events.add(e);
            return true;
        });
        assertThat(events).hasSize(5);
        for (TokenEvent e : events) {
            assertThat(e.logprob()).isLessThanOrEqualTo(0f);
            assertThat(e.top()).hasSize(3);
            // greedy: the chosen token is the most likely one
            assertThat(e.top().get(0).id()).isEqualTo(e.token());
        }
    }

    @Test
    void listenerCanStopAndLimitsAreKept() {
        int[] seen = {0};
        GenerationResult r = generator.generate(prompt, GenerationOptions.of(SamplingParams.GREEDY, 48),
                e -> ++seen[0] < 3);
        assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(r.completionTokens()).isEqualTo(3);
        assertThat(generator.generate(prompt, GenerationOptions.of(SamplingParams.GREEDY, 0), e -> true).text()).isEmpty();
    }

    /** Every quantised file of the golden set loads and generates text with its own tokenizer. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("io.puhui.engine.tensor.TensorFormatsTest#goldenFiles")
    void quantisedModelsGenerate(java.nio.file.Path file) throws IOException {
        try (Model m = Model.load(file)) {
            Tokenizer t = Tokenizer.fromMetadata(m.metadata());
            Generator g = new Generator(m, t, team, 64);
            GenerationResult r = g.generate(t.encode("Once upon a time", true, false),
                    new GenerationOptions(SamplingParams.GREEDY, 12, List.of(), true), e -> true);
            assertThat(r.completionTokens()).isEqualTo(12);
            assertThat(r.text()).isNotBlank();
            if (file.getFileName().toString().startsWith("stories260K-Q6_K")) {
                // 6-bit weights keep the trained model's story
                assertThat(r.text()).startsWith(", there was a little");
            }
        }
    }

    @Test
    void aPromptThatDoesNotFitIsAClearError() {
        Generator small = new Generator(model, generator.tokenizer(), team, 4);
        assertThatThrownBy(() -> small.generate(prompt, GenerationOptions.of(SamplingParams.GREEDY, 8), e -> true))
                .isInstanceOf(ContextFullException.class).hasMessageContaining("context is full");
        // a prompt that fits but leaves little room ends with "length" when the context fills
        Generator tight = new Generator(model, generator.tokenizer(), team, 8);
        GenerationResult r = tight.generate(prompt, GenerationOptions.of(SamplingParams.GREEDY, 48), e -> true);
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(r.completionTokens()).isLessThanOrEqualTo(4);
    }
}
