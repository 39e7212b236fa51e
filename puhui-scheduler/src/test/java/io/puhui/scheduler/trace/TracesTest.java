package io.puhui.scheduler.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.puhui.scheduler.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TracesTest {

    static final Path TRACES = Path.of(System.getProperty("puhui.shared", "../../shared"), "traces");

    @TempDir
    Path dir;

    Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void readsEveryOpenbFileAndTheirNodeLists() {
        Path csv = TRACES.resolve("alibaba-gpu-v2023-openb/csv");
        var def = Traces.read(csv.resolve("openb_pod_list_default.csv"));
        assertThat(def.format()).isEqualTo(Traces.Format.OPENB);
        assertThat(def.tasks()).hasSize(8152);
        assertThat(def.tasks().stream().filter(Task::sharesGpu).count()).isEqualTo(3078);
        assertThat(Math.round(def.tasks().stream().mapToLong(Task::totalGpuMilli).sum() / 1000.0)).isEqualTo(6087);
        assertThat(Traces.read(csv.resolve("openb_pod_list_multigpu50.csv")).tasks()).hasSize(9061);
        assertThat(Traces.read(csv.resolve("openb_pod_list_gpushare100.csv")).timed()).isTrue();
        var nodes = Traces.readNodes(csv.resolve("openb_node_list_all_node.csv"));
        assertThat(nodes).hasSize(1523);
        assertThat(nodes.stream().mapToInt(n -> n.gpus()).sum()).isEqualTo(6212);
    }

    @Test
    void readsThePhillyTableAndItpListsWithTheirClocks() {
        var philly = Traces.read(TRACES.resolve("philly-derived-pollux/philly.csv"));
        assertThat(philly.format()).isEqualTo(Traces.Format.PHILLY);
        assertThat(philly.tasks()).hasSize(82_247);
        assertThat(philly.tasks().stream().mapToLong(Task::arrival).min().orElseThrow()).isZero();
        assertThat(philly.tasks().stream().map(Task::tenant).distinct().count()).isEqualTo(15);
        var itp = Traces.read(TRACES.resolve("microsoft-itp-elasticflow-2021/raw/cluster01.csv"));
        assertThat(itp.format()).isEqualTo(Traces.Format.ITP);
        assertThat(itp.timed()).isTrue();
    }

    @Test
    void columnsAreFoundByNameInAnyOrderAndTypesSplitOnBars() throws IOException {
        Path p = write("mine.csv", "gpu_types,name,gpus,gpu_milli,tenant,submit_s,duration_s\n"
                + "V100M16|V100M32,a,1,250,team-一,10,60\n,b,2,,team-二,20,30\n");
        var t = Traces.read(p);
        assertThat(t.format()).isEqualTo(Traces.Format.PUHUI);
        assertThat(t.tasks().get(0).gpuTypes()).containsExactly("V100M16", "V100M32");
        assertThat(t.tasks().get(0).tenant()).isEqualTo("team-一");
        assertThat(t.tasks().get(1).gpuMilli()).isEqualTo(1000);
        assertThat(t.tasks().get(1).duration()).isEqualTo(30);
    }

    @Test
    void aMalformedRowIsReportedWithFileAndLine() throws IOException {
        Path p = write("bad.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\nx,1000,100,1,500\ny,lots,100,1,500\n");
        assertThatThrownBy(() -> Traces.read(p)).isInstanceOf(TraceFormatException.class)
                .hasMessage(p + ":3: column cpu_milli must be a whole number, found 'lots'")
                .extracting(e -> ((TraceFormatException) e).line()).isEqualTo(3L);
        Path short_ = write("short.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\nx,1000,100\n");
        assertThatThrownBy(() -> Traces.read(short_)).hasMessageContaining(":2: expected 5 fields");
        Path shared = write("shared.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\nx,1000,100,2,500\n");
        assertThatThrownBy(() -> Traces.read(shared)).hasMessageContaining(":2: 2 accelerators at 500 milli");
        Path neg = write("neg.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\nx,-1,100,0,0\n");
        assertThatThrownBy(() -> Traces.read(neg)).hasMessageContaining(":2: column cpu_milli must not be negative");
    }

    @Test
    void anUnknownHeaderSaysWhatWasExpected() throws IOException {
        Path p = write("what.csv", "a,b,c\n1,2,3\n");
        assertThatThrownBy(() -> Traces.read(p)).hasMessageContaining(":1: unknown trace header (a,b,c)")
                .hasMessageContaining("openb task list");
        Path nodes = write("nodes.csv", "sn,cpu_milli,memory_mib,gpu,model\nn,1000,100,1,T4\n");
        assertThatThrownBy(() -> Traces.read(nodes)).hasMessageContaining("pass it with --nodes");
        Path empty = write("empty.csv", "");
        assertThatThrownBy(() -> Traces.read(empty)).hasMessageContaining("empty file");
        Path twice = write("twice.csv", "sn,cpu_milli,memory_mib,gpu,model\nn,1000,100,1,T4\nn,1000,100,1,T4\n");
        assertThatThrownBy(() -> Traces.readNodes(twice)).hasMessageContaining(":3: node n is listed twice");
    }

    @Test
    void aUniformClusterIsMadeForTracesWithoutNodes() {
        var nodes = Traces.uniform(16, 4);
        assertThat(nodes).hasSize(16);
        assertThat(nodes.stream().mapToInt(n -> n.gpus()).sum()).isEqualTo(64);
        assertThat(List.copyOf(nodes).getFirst().name()).isEqualTo("node-0000");
    }
}
