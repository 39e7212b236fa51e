// The `puhui` command line: subcommands, and the one place where failures become exit codes and one-line errors.
package io.puhui.cli;

import io.puhui.engine.gguf.GgufFormatException;
import io.puhui.engine.model.ContextFullException;
import io.puhui.engine.model.UnsupportedModelException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "puhui",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Puhui (普惠): generative AI on the compute you already own.",
        subcommands = {VersionCommand.class, InspectCommand.class, GenerateCommand.class, BenchCommand.class,
            RandomModelCommand.class, ServeCommand.class, WorkerCommand.class, PullCommand.class,
            ModelsCommand.ListModels.class, ModelsCommand.Remove.class, ModelsCommand.Import.class, KeyCommand.class,
            CompressCommand.class, ImatrixCommand.class, EvalCommand.class, SimulateCommand.class, SceneCommand.class, TokenCommand.class, TenantCommand.class, AuditCommand.class, RedteamCommand.class, ReportsCommand.class, UserCommand.class,
            NodesCommand.ListNodes.class, NodesCommand.NodeCommand.class, NodesCommand.Warm.class, AgentCommand.class, EndpointCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "Show stack traces of errors.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the CLI with the given streams and returns the exit code (tests call this directly). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cli = commandLine();
        cli.setOut(new java.io.PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), true));
        cli.setErr(new java.io.PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        return cli.execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        addHelpOption(cli);
        cli.setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException || isUsage(e) ? USAGE : FAILURE);
        cli.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("puhui: " + ex.getMessage());
            c.getErr().println("Run '" + c.getCommandSpec().qualifiedName() + " --help' for usage.");
            return USAGE;
        });
        cli.setExecutionExceptionHandler((ex, c, parsed) -> {
            boolean debug = parsed.matchedOption("--debug") != null
                    || parsed.subcommands().stream().anyMatch(p -> p.matchedOption("--debug") != null);
            c.getErr().println("puhui: " + describe(ex));
            if (debug) {
                ex.printStackTrace(new PrintStream(System.err, true, StandardCharsets.UTF_8));
            }
            c.getErr().flush();
            return isUsage(ex) ? USAGE : FAILURE;
        });
        return cli;
    }

    /** `-h`/`--help` on every subcommand, as the usage errors promise. */
    private static void addHelpOption(CommandLine c) {
        for (CommandLine sub : c.getSubcommands().values()) {
            CommandLine.Model.CommandSpec spec = sub.getCommandSpec();
            if (spec.findOption("--help") == null && !(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                spec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                        .description("Show this help and exit.").build());
            }
            addHelpOption(sub);
        }
    }

    private static boolean isUsage(Throwable e) {
        return e instanceof UsageException;
    }

    /** One line that says what went wrong, without a stack trace. */
    static String describe(Throwable e) {
        if (e instanceof UncheckedIOException u) {
            e = u.getCause();
        }
        return switch (e) {
            case NoSuchFileException n -> "no such file: " + n.getFile();
            case AccessDeniedException a -> "permission denied: " + a.getFile();
            case GgufFormatException g -> "cannot read model: " + g.getMessage();
            case io.puhui.scheduler.trace.TraceFormatException t -> "cannot read " + t.getMessage();
            case UnsupportedModelException u -> "cannot run model: " + u.getMessage();
            case ContextFullException c -> c.getMessage();
            case UsageException u -> u.getMessage();
            case io.puhui.server.api.ApiException a -> a.getMessage();
            case OutOfMemoryError o -> "out of memory; give the JVM more with PUHUI_JAVA_OPTS=-Xmx16g or use a "
                    + "smaller model or context";
            case IOException io -> "I/O error: " + io.getMessage();
            case IllegalArgumentException i -> i.getMessage();
            default -> e.getClass().getSimpleName() + ": " + e.getMessage() + " (run with --debug for details)";
        };
    }

    /** A tier named on the command line; anything else is a usage error naming {@code option}. */
    static io.puhui.server.pool.Tier tier(String option, String value) {
        try {
            return io.puhui.server.pool.Tier.valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException(option + " must be device, edge or cloud, not '" + value + "'");
        }
    }

    /** {@code file} when it is a regular file, else a usage error naming what was missing. */
    static java.nio.file.Path existingFile(java.nio.file.Path file, String what) {
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new UsageException("no such " + what + ": " + file);
        }
        return file;
    }

    /** Bad input the user can fix: exits with the usage code. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"puhui " + version()};
        }
    }

    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("/puhui-version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
