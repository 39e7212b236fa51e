package io.puhui.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretBoxTest {

    @TempDir
    Path home;

    @Test
    void sealsWithAFreshNonceAndOpensOnlyWithItsKey() throws Exception {
        SecretBox box = SecretBox.forHome(home);
        String a = box.seal("sk-上游-0451");
        String b = box.seal("sk-上游-0451");
        assertThat(a).startsWith("v1:").doesNotContain("0451").isNotEqualTo(b);
        assertThat(box.open(a)).isEqualTo("sk-上游-0451");
        assertThat(SecretBox.forHome(home).open(b)).as("the key file is reused").isEqualTo("sk-上游-0451");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("secret.key")))).isEqualTo("rw-------");
        SecretBox other = SecretBox.of(new byte[32]);
        assertThatThrownBy(() -> other.open(a)).hasMessageContaining("cannot be decrypted with this server's secret key");
        String tampered = a.substring(0, a.length() - 4) + (a.endsWith("AAAA") ? "BBBB" : "AAAA");
        assertThatThrownBy(() -> box.open(tampered)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SecretBox.of(new byte[16])).hasMessageContaining("32 bytes");
    }
}
