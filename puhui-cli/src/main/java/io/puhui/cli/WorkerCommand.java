// `puhui worker`: serve one model on a loopback port (started by the node agent; runnable by hand for tests).
package io.puhui.cli;

import io.puhui.server.worker.WorkerConfig;
import io.puhui.server.worker.WorkerServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "worker", description = "Serve one model with the OpenAI API on a loopback port (used by serve).")
final class WorkerCommand implements Callable<Integer> {
    /** The line the node agent waits for on stdout: the worker is warmed up and accepting requests. */
    static final String READY = "PUHUI_WORKER_READY port=";

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE.gguf", description = "The model file.")
    Path model;

    @Option(names = "--name", paramLabel = "NAME", description = "The model's name in the API (default: file name).")
    String name;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "0", description = "Port; 0 picks a free one (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--exit-with-stdin", description = "Exit when stdin closes (the parent process went away).")
    boolean exitWithStdin;

    @Mixin
    DecodingOptions decoding;

    @Override
    public Integer call() throws Exception {
        int nThreads = decoding.threadsOrAllCores();
        String modelName = name != null ? name : ServeNames.fromFile(model);
        WorkerConfig config;
        try {
            config = new WorkerConfig(model, modelName, host, port, nThreads, decoding.slots, decoding.queue,
                    decoding.contextLength, decoding.maxBody, 600_000);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage());
        }
        WorkerServer server = WorkerServer.start(config);
        System.out.println(READY + server.port());
        System.out.flush();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stop.countDown();
        }));
        if (exitWithStdin) {
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (System.in.read() >= 0) {
                        // the parent writes nothing; EOF means it is gone
                    }
                } catch (IOException ignored) {
                    // a broken pipe means the same
                }
                System.exit(0);
            });
        }
        stop.await();
        return Main.OK;
    }
}
