// Many sequences decoded together must each give exactly what they give alone, whatever joins or leaves the batch.
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BatchGeneratorTest {
    static Model model;
    static ThreadTeam team;
    static Tokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        model = Model.load(SharedData.stories260K());
        team = new ThreadTeam(2);
        tokenizer = Tokenizer.fromMetadata(model.metadata());
    }

    @AfterAll
    static void close() {
        team.close();
        model.close();
    }

    record Case(int[] prompt, GenerationOptions options) {
    }

    static List<Case> cases(int n) {
        String[] starts = {"Once upon a time", "The cat", "Lily and Tom went to the park", "One day,", "Ben had a",
            "The big red ball"};
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String text = starts[i % starts.length];
            if (i % 7 == 3) {
                text = (text + " and then they played. ").repeat(30); // a prompt longer than one step's budget
            }
            SamplingParams p = i % 2 == 0 ? SamplingParams.GREEDY
                    : SamplingParams.DEFAULT.withTemperature(0.9f).withSeed(1000 + i).withTopLogprobs(3);
            GenerationOptions o = new GenerationOptions(p, 8 + (i * 5) % 40, i % 5 == 4 ? List.of(".") : List.of(),
                    false);
            cases.add(new Case(tokenizer.encode(text, true, false), o));
        }
        return cases;
    }

    @Test
    void everySequenceInABatchGetsTheTextAndLogprobsItGetsAlone() throws Exception {
        List<Case> cases = cases(32);
        Generator alone = new Generator(model, tokenizer, team, 512);
        List<GenerationResult> expected = new ArrayList<>();
        List<List<TokenEvent>> expectedEvents = new ArrayList<>();
        for (Case c : cases) {
            List<TokenEvent> events = new ArrayList<>();
            expected.add(alone.generate(c.prompt(), c.options(), e -> events.add(e)));
            expectedEvents.add(events);
        }
        try (BatchGenerator batch = new BatchGenerator(model, tokenizer, team, 32, 512)) {
            List<BatchGenerator.Sequence> seqs = new ArrayList<>();
            List<List<TokenEvent>> events = new ArrayList<>();
            for (int i = 0; i < cases.size(); i++) {
                List<TokenEvent> ev = java.util.Collections.synchronizedList(new ArrayList<>());
                events.add(ev);
                seqs.add(batch.submit(cases.get(i).prompt(), cases.get(i).options(), null, ev::add));
                if (i % 8 == 7) {
                    Thread.sleep(5); // let some start decoding before others join
                }
            }
            for (int i = 0; i < cases.size(); i++) {
                GenerationResult r = seqs.get(i).result().get(60, TimeUnit.SECONDS);
                assertThat(r.text()).as("text of sequence %d", i).isEqualTo(expected.get(i).text());
                assertThat(r.tokens()).as("tokens of sequence %d", i).isEqualTo(expected.get(i).tokens());
                assertThat(r.finishReason()).isEqualTo(expected.get(i).finishReason());
                assertThat(events.get(i)).as("stream of sequence %d", i).isEqualTo(expectedEvents.get(i));
            }
            assertThat(batch.steps()).as("steps shared between sequences").isLessThan(
                    expected.stream().mapToLong(r -> r.completionTokens()).sum());
            assertThat(batch.occupied()).isZero();
        }
    }

    @Test
    void slotsAreBoundedAndACancelledSequenceFreesItsSlotAtOnce() throws Exception {
        int[] prompt = tokenizer.encode("Once upon a time", true, false);
        GenerationOptions longRun = new GenerationOptions(SamplingParams.GREEDY, 400, List.of(), true);
        try (BatchGenerator batch = new BatchGenerator(model, tokenizer, team, 2, 512)) {
            CountDownLatch started = new CountDownLatch(1);
            BatchGenerator.Sequence a = batch.submit(prompt, longRun, null, e -> {
                started.countDown();
                return true;
            });
            BatchGenerator.Sequence b = batch.submit(prompt, longRun, null, e -> true);
            assertThatThrownBy(() -> batch.submit(prompt, longRun, null, e -> true))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("2 slots");
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            a.cancel();
            GenerationResult ra = a.result().get(10, TimeUnit.SECONDS);
            assertThat(ra.finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(ra.completionTokens()).isLessThan(400);
            BatchGenerator.Sequence c = batch.submit(prompt, GenerationOptions.of(SamplingParams.GREEDY, 4), null,
                    e -> true);
            assertThat(c.result().get(10, TimeUnit.SECONDS).completionTokens()).isEqualTo(4);
            b.cancel();
            assertThat(b.result().get(10, TimeUnit.SECONDS).finishReason()).isEqualTo(FinishReason.CANCELLED);
        }
    }

    @Test
    void aListenerThatSaysStopEndsOnlyItsOwnSequence() throws Exception {
        int[] prompt = tokenizer.encode("Once upon a time", true, false);
        try (BatchGenerator batch = new BatchGenerator(model, tokenizer, team, 4, 512)) {
            BatchGenerator.Sequence quitter = batch.submit(prompt, GenerationOptions.of(SamplingParams.GREEDY, 40),
                    null, e -> false);
            BatchGenerator.Sequence stayer = batch.submit(prompt, GenerationOptions.of(SamplingParams.GREEDY, 40),
                    null, e -> true);
            assertThat(quitter.result().get(10, TimeUnit.SECONDS).completionTokens()).isEqualTo(1);
            assertThat(stayer.result().get(10, TimeUnit.SECONDS).text()).isEqualTo(GeneratorTest.STORIES_48
                    .substring(0, stayer.result().get().text().length()));
            assertThat(stayer.result().get().completionTokens()).isEqualTo(40);
        }
    }

    @Test
    void aPromptThatFillsTheContextIsRefusedUpFront() {
        try (BatchGenerator batch = new BatchGenerator(model, tokenizer, team, 1, 16)) {
            int[] prompt = tokenizer.encode("Once upon a time there was a girl who liked to play ball", true, false);
            assertThatThrownBy(() -> batch.submit(prompt, GenerationOptions.of(SamplingParams.GREEDY, 4), null,
                    e -> true)).isInstanceOf(ContextFullException.class);
            assertThat(batch.occupied()).isZero();
        }
    }
}
