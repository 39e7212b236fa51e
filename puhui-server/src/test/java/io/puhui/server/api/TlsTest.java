// PEM keys and certificates as users bring them: PKCS#8 and PKCS#1 keys, chains, and the forms that need converting.
package io.puhui.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsTest {
    @TempDir
    Path dir;

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /** The PKCS#1 key inside a PKCS#8 encoding: the content of its trailing octet string. */
    static byte[] pkcs1(byte[] pkcs8) {
        int i = 0;
        i = skipHeader(pkcs8, i); // outer SEQUENCE
        i = skip(pkcs8, i); // version
        i = skip(pkcs8, i); // algorithm
        int start = skipHeader(pkcs8, i);
        return Arrays.copyOfRange(pkcs8, start, pkcs8.length);
    }

    static int skipHeader(byte[] der, int i) {
        int len = der[i + 1] & 0xff;
        return i + 2 + ((len & 0x80) != 0 ? len & 0x7f : 0);
    }

    static int skip(byte[] der, int i) {
        int len = der[i + 1] & 0xff;
        if ((len & 0x80) == 0) {
            return i + 2 + len;
        }
        int n = len & 0x7f;
        int value = 0;
        for (int k = 0; k < n; k++) {
            value = (value << 8) | (der[i + 2 + k] & 0xff);
        }
        return i + 2 + n + value;
    }

    @Test
    void anRsaKeyReadsTheSameInPkcs8AndPkcs1() throws Exception {
        KeyPair pair = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        byte[] p8 = pair.getPrivate().getEncoded();
        assertThat(Tls.rsaPkcs1ToPkcs8(pkcs1(p8))).as("wrapping PKCS#1 gives back the PKCS#8 encoding").isEqualTo(p8);
        Files.writeString(dir.resolve("p8.pem"), pem("PRIVATE KEY", p8));
        Files.writeString(dir.resolve("p1.pem"), "a comment before the block\n" + pem("RSA PRIVATE KEY", pkcs1(p8)));
        PrivateKey a = Tls.privateKey(dir.resolve("p8.pem"), "RSA");
        PrivateKey b = Tls.privateKey(dir.resolve("p1.pem"), "RSA");
        assertThat(a).isEqualTo(pair.getPrivate());
        assertThat(b).isEqualTo(pair.getPrivate());
    }

    @Test
    void anEcKeyIsReadFromPkcs8() throws Exception {
        KeyPair pair = KeyPairGenerator.getInstance("EC").generateKeyPair();
        Files.writeString(dir.resolve("ec.pem"), pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        assertThat(Tls.privateKey(dir.resolve("ec.pem"), "EC")).isEqualTo(pair.getPrivate());
    }

    @Test
    void formsThatNeedConvertingSayHow() throws Exception {
        Files.writeString(dir.resolve("enc.pem"), pem("ENCRYPTED PRIVATE KEY", new byte[] {1, 2, 3}));
        Files.writeString(dir.resolve("sec1.pem"), pem("EC PRIVATE KEY", new byte[] {1, 2, 3}));
        Files.writeString(dir.resolve("none.pem"), "not a key\n");
        assertThatThrownBy(() -> Tls.privateKey(dir.resolve("enc.pem"), "RSA"))
                .hasMessageContaining("encrypted key").hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
        assertThatThrownBy(() -> Tls.privateKey(dir.resolve("sec1.pem"), "EC"))
                .hasMessageContaining("SEC1").hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
        assertThatThrownBy(() -> Tls.privateKey(dir.resolve("none.pem"), "RSA")).hasMessageContaining("holds no private key");
        assertThatThrownBy(() -> Tls.serverKeyStore(dir.resolve("none.pem"), dir.resolve("none.pem")))
                .hasMessageContaining("holds no certificate");
        assertThatThrownBy(() -> Tls.trusting(dir.resolve("missing.pem"))).hasMessageContaining("cannot read");
        Files.writeString(dir.resolve("bad.pem"), pem("CERTIFICATE", new byte[] {1, 2, 3}));
        assertThatThrownBy(() -> Tls.trusting(dir.resolve("bad.pem"))).hasMessageContaining("cannot be read");
    }
}
