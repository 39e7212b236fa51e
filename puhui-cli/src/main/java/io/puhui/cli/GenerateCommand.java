// `puhui generate`: stream a completion (or a chat reply) from a local GGUF model to stdout.
package io.puhui.cli;

import io.puhui.engine.chat.ChatMessage;
import io.puhui.engine.chat.ChatTemplate;
import io.puhui.engine.generate.GenerationOptions;
import io.puhui.engine.generate.GenerationResult;
import io.puhui.engine.generate.Generator;
import io.puhui.engine.model.Model;
import io.puhui.engine.sampling.SamplingParams;
import io.puhui.engine.tensor.ThreadTeam;
import io.puhui.engine.tokenizer.Tokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "generate", description = "Generate text with a local GGUF model, streamed to stdout.")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE.gguf", description = "The model file.")
    Path model;

    @Option(names = {"-p", "--prompt"}, required = true, paramLabel = "TEXT", description = "The prompt.")
    String prompt;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "128", paramLabel = "N",
            description = "Most tokens to generate (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temp", defaultValue = "0.8", paramLabel = "T",
            description = "Temperature; 0 is greedy (default ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "40", paramLabel = "K", description = "Keep the K most likely (0 = off, default ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", paramLabel = "P", description = "Nucleus sampling (default ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--min-p", defaultValue = "0.05", paramLabel = "P", description = "Drop tokens below P x the best (default ${DEFAULT-VALUE}).")
    float minP;

    @Option(names = "--repeat-penalty", defaultValue = "1.0", paramLabel = "R", description = "Repetition penalty over the last 64 tokens (default ${DEFAULT-VALUE}).")
    float repeatPenalty;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed; the same seed gives the same text (default: random).")
    Long seed;

    @Option(names = {"-t", "--threads"}, paramLabel = "K", description = "Compute threads (default: all cores).")
    Integer threads;

    @Option(names = {"-c", "--ctx"}, defaultValue = "4096", paramLabel = "N",
            description = "Context length in tokens, capped at the model's (default ${DEFAULT-VALUE}).")
    int contextLength;

    @Option(names = "--chat", description = "Treat the prompt as a user message and apply the model's chat template.")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "System message for --chat.")
    String system;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop before this text (repeatable).")
    List<String> stop = new ArrayList<>();

    @Option(names = "--ignore-eos", description = "Keep generating past the end-of-text token.")
    boolean ignoreEos;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        int nThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (nThreads < 1 || nThreads > 1024) {
            throw new Main.UsageException("--threads must be between 1 and 1024, got " + nThreads);
        }
        if (maxTokens < 0) {
            throw new Main.UsageException("--max-tokens must not be negative, got " + maxTokens);
        }
        SamplingParams sampling;
        try {
            sampling = new SamplingParams(temperature, topK, topP, minP, repeatPenalty, 64, 0f, 0f,
                    seed != null ? seed : System.nanoTime(), 0);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Model m = Model.load(model); ThreadTeam team = new ThreadTeam(nThreads)) {
            Tokenizer tokenizer = Tokenizer.fromMetadata(m.metadata());
            String text = prompt;
            if (chat) {
                List<ChatMessage> messages = new ArrayList<>();
                if (system != null) {
                    messages.add(new ChatMessage("system", system));
                }
                messages.add(new ChatMessage("user", prompt));
                text = ChatTemplate.fromMetadata(m.metadata()).render(messages, true);
            }
            boolean templateHasBos = tokenizer.bos() >= 0 && text.startsWith(tokenizer.piece(tokenizer.bos()));
            int[] tokens = tokenizer.encode(text, !templateHasBos, true);
            m.warmUp(team);
            int ctx = Math.min(contextLength, m.config().trainedContextLength());
            Generator generator = new Generator(m, tokenizer, team, ctx);
            GenerationOptions options = new GenerationOptions(sampling, maxTokens, stop, ignoreEos);
            if (!chat) {
                out.print(prompt);
            }
            GenerationResult r = generator.generate(tokens, options, event -> {
                out.print(event.text());
                out.flush();
                return !out.checkError();
            });
            out.println();
            out.flush();
            err.printf("prompt: %d tokens, %.1f tokens/s | generation: %d tokens, %.1f tokens/s | %s, %d threads%n",
                    r.promptTokens(), r.promptTokensPerSecond(), r.completionTokens(), r.generationTokensPerSecond(),
                    r.finishReason().openAiName, nThreads);
            err.flush();
        }
        return Main.OK;
    }
}
