package io.puhui.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CompressOptionsTest {
    @Test
    void sizesReadBinaryAndDecimalUnits() {
        assertThat(CompressCommand.parseSize("900000")).isEqualTo(900_000);
        assertThat(CompressCommand.parseSize("350MiB")).isEqualTo(350L << 20);
        assertThat(CompressCommand.parseSize("350M")).isEqualTo(350L << 20);
        assertThat(CompressCommand.parseSize("1.5GB")).isEqualTo(1_500_000_000L);
        assertThat(CompressCommand.parseSize("2 gib")).isEqualTo(2L << 30);
        assertThat(CompressCommand.parseSize("64KB")).isEqualTo(64_000);
        assertThatThrownBy(() -> CompressCommand.parseSize("lots")).hasMessageContaining("350MiB");
        assertThatThrownBy(() -> CompressCommand.parseSize("0")).hasMessageContaining("out of range");
    }

    @Test
    void deviceProfilesAreOrderedBudgets() {
        assertThat(CompressCommand.DEVICE_BUDGETS).containsKeys("phone-4gb", "phone-8gb", "pc-16gb", "gpu-24gb");
        assertThat(CompressCommand.DEVICE_BUDGETS.get("phone-4gb")).isLessThan(CompressCommand.DEVICE_BUDGETS.get("phone-8gb"));
        assertThat(CompressCommand.DEVICE_BUDGETS.get("phone-4gb")).isLessThan(4L << 30);
    }
}
