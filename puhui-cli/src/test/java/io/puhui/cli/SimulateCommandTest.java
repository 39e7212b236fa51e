package io.puhui.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulateCommandTest {

    @TempDir
    Path dir;

    record Outcome(int code, String out, String err) {
    }

    static Outcome run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    Path openbTrace() throws IOException {
        StringBuilder sb = new StringBuilder("name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos\n");
        for (int i = 0; i < 60; i++) {
            switch (i % 4) {
                case 0 -> sb.append("pod-").append(i).append(",8000,16384,1,1000,,LS\n");
                case 1 -> sb.append("pod-").append(i).append(",4000,8192,1,").append(300 + i * 5).append(",,BE\n");
                case 2 -> sb.append("pod-").append(i).append(",2000,4096,0,0,,BE\n");
                default -> sb.append("pod-").append(i).append(",16000,32768,2,1000,T4|P100,LS\n");
            }
        }
        sb.append("pod-huge,4000,8192,8,1000,,LS\n");
        Path p = dir.resolve("pods.csv");
        Files.writeString(p, sb.toString());
        return p;
    }

    Path nodes() throws IOException {
        StringBuilder sb = new StringBuilder("sn,cpu_milli,memory_mib,gpu,model\n");
        for (int i = 0; i < 12; i++) {
            sb.append("node-").append(i).append(",64000,262144,").append(i % 3 == 0 ? 2 : 4).append(",")
                    .append(i % 2 == 0 ? "T4" : "G2").append('\n');
        }
        Path p = dir.resolve("nodes.csv");
        Files.writeString(p, sb.toString());
        return p;
    }

    @Test
    void packingComparesPoliciesAndWritesCurvesAndAChart() throws IOException {
        Path out = dir.resolve("out");
        Outcome o = run("simulate", "--trace", openbTrace().toString(), "--nodes", nodes().toString(),
                "--seeds", "1..3", "--policy", "bestfit,fgd", "--policy", "puhui", "--out", out.toString());
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(o.out()).contains("openb task list, 61 tasks").contains("on 12 nodes with 40 accelerators")
                .contains("bestfit").contains("fgd").contains("puhui").containsPattern("alloc% @1[23][0-9]%");
        assertThat(o.err()).contains("1 task shape(s) fit no node").contains("8 x 1000 milli");
        List<String> curves = Files.readAllLines(out.resolve("curves.csv"));
        assertThat(curves.getFirst()).isEqualTo("trace,policy,seed,demand_pct,alloc_pct,frag_pct");
        assertThat(curves).anyMatch(l -> l.startsWith("pods,puhui,3,100,"));
        assertThat(Files.readString(out.resolve("allocation.svg"))).startsWith("<svg").contains("fgd");
    }

    @Test
    void queuesRunTimedTracesOnTenantQuotas() throws IOException {
        StringBuilder sb = new StringBuilder("name,submit_s,duration_s,tenant,gpus\n");
        for (int i = 0; i < 40; i++) {
            sb.append("job-").append(i).append(',').append(i * 30).append(',').append(600 + 97 * i % 1800).append(',')
                    .append(i % 3 == 0 ? "研究组" : "prod").append(',').append(1 << (i % 3)).append('\n');
        }
        Path trace = dir.resolve("jobs.csv");
        Files.writeString(trace, sb.toString());
        Path quotas = dir.resolve("quotas.csv");
        Files.writeString(quotas, "tenant,gpus\n研究组,4\nprod,4\n");
        Path out = dir.resolve("q");
        Outcome o = run("simulate", "--trace", trace.toString(), "--quotas", quotas.toString(), "--out", out.toString());
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(o.out()).contains("Puhui task list, 40 jobs").contains("fifo").contains("srtf").contains("puhui")
                .contains("mean wait per tenant").contains("研究组");
        assertThat(Files.readAllLines(out.resolve("jobs.csv"))).hasSize(1 + 5 * 40);
        assertThat(Files.readAllLines(out.resolve("summary.csv")).getFirst()).startsWith("trace,load,policy,jobs,avg_jct_s");
    }

    @Test
    void badInputGetsOneClearLine() throws IOException {
        Outcome unknown = run("simulate", "--trace", openbTrace().toString(), "--nodes", nodes().toString(), "--policy", "tetris");
        assertThat(unknown.code()).isEqualTo(Main.USAGE);
        assertThat(unknown.err()).contains("unknown placement policy 'tetris'; valid: random, dotproduct");

        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "name,cpu_milli,memory_mib,num_gpu,gpu_milli\na,1000,1,1,500\nb,1000,1,one,500\n");
        Outcome row = run("simulate", "--trace", bad.toString(), "--nodes", nodes().toString());
        assertThat(row.code()).isEqualTo(Main.FAILURE);
        assertThat(row.err()).contains("cannot read " + bad + ":3: column num_gpu must be a whole number, found 'one'");
        assertThat(row.err().lines().count()).isEqualTo(1);

        Outcome none = run("simulate", "--trace", openbTrace().toString());
        assertThat(none.code()).isEqualTo(Main.USAGE);
        assertThat(none.err()).contains("exactly one of --nodes FILE.csv or --cluster N[xG]");

        Outcome missing = run("simulate", "--trace", dir.resolve("nope.csv").toString(), "--cluster", "4");
        assertThat(missing.code()).isEqualTo(Main.USAGE);
        assertThat(missing.err()).contains("no such trace file");

        Outcome queueOnShares = run("simulate", "--trace", openbTrace().toString(), "--mode", "queue", "--cluster", "4x8");
        assertThat(queueOnShares.code()).isEqualTo(Main.USAGE);
        assertThat(queueOnShares.err()).contains("needs arrival times and durations");
    }

    @Test
    void seedsAndClustersParse() {
        assertThat(SimulateCommand.parseSeeds("42..45")).containsExactly(42L, 43L, 44L, 45L);
        assertThat(SimulateCommand.parseSeeds("1,5,9")).containsExactly(1L, 5L, 9L);
        assertThatThrownBy(() -> SimulateCommand.parseSeeds("9..1")).hasMessageContaining("must run upwards");
        assertThatThrownBy(() -> SimulateCommand.parseSeeds("x")).hasMessageContaining("a range A..B");
        assertThat(SimulateCommand.uniform("16x4")).hasSize(16).allMatch(n -> n.gpus() == 4);
        assertThat(SimulateCommand.uniform("3")).allMatch(n -> n.gpus() == 8);
        assertThatThrownBy(() -> SimulateCommand.uniform("0x8")).hasMessageContaining("such as 64x8");
    }
}
