package io.puhui.server.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.puhui.server.pool.NodeResources;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResourcesTest {

    @Test
    void readsThisMachine() throws Exception {
        Resources r = new Resources();
        r.read();
        Thread.sleep(200);
        NodeResources now = r.read();
        assertThat(now.cpuLoad()).isBetween(0.0, 1.0);
        assertThat(now.memoryAvailable()).isPositive();
    }

    @Test
    void readsNvidiaSmisTable() {
        List<NodeResources.Accelerator> gpus = Resources.parseNvidiaSmi("""
                NVIDIA GeForce RTX 4090, 24564, 1203, 37
                NVIDIA A100-SXM4-80GB, 81920, 0, [N/A]
                """);
        assertThat(gpus).hasSize(2);
        assertThat(gpus.get(0).name()).isEqualTo("NVIDIA GeForce RTX 4090");
        assertThat(gpus.get(0).memoryBytes()).isEqualTo(24564L << 20);
        assertThat(gpus.get(0).memoryUsed()).isEqualTo(1203L << 20);
        assertThat(gpus.get(0).utilization()).isEqualTo(0.37);
        assertThat(gpus.get(1).utilization()).as("not reported").isEqualTo(-1);
        assertThat(Resources.parseNvidiaSmi("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")).isEmpty();
    }
}
