// TLS from PEM files: the server's certificate chain and key (as certbot and openssl write them), and the
// certificates a client trusts (`--ca`, like curl's --cacert).
package io.puhui.server.api;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

public final class Tls {
    /** The password of the in-memory key store; it never leaves this process. */
    public static final char[] STORE_PASSWORD = "puhui".toCharArray();

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)-----END \\1-----");

    private Tls() {
    }

    /**
     * A key store holding the server's key and certificate chain, read from PEM files: the chain (the server's
     * certificate first, as {@code fullchain.pem} has it) and an unencrypted PKCS#8 or PKCS#1 (RSA) key.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it, and how to convert it
     */
    public static KeyStore serverKeyStore(Path certPem, Path keyPem) {
        List<X509Certificate> chain = certificates(certPem);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException(certPem + " holds no certificate (expected -----BEGIN CERTIFICATE-----)");
        }
        PrivateKey key = privateKey(keyPem, chain.get(0).getPublicKey().getAlgorithm());
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", key, STORE_PASSWORD, chain.toArray(new Certificate[0]));
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("the key in " + keyPem + " does not go with the certificate in " + certPem
                    + ": " + e.getMessage());
        }
    }

    /** A client context that trusts exactly the certificates in the PEM file (a private CA, a self-signed server). */
    public static SSLContext trusting(Path caPem) {
        List<X509Certificate> certs = certificates(caPem);
        if (certs.isEmpty()) {
            throw new IllegalArgumentException(caPem + " holds no certificate (expected -----BEGIN CERTIFICATE-----)");
        }
        try {
            KeyStore ts = KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            for (int i = 0; i < certs.size(); i++) {
                ts.setCertificateEntry("ca" + i, certs.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ts);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), new SecureRandom());
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot trust the certificates in " + caPem + ": " + e.getMessage());
        }
    }

    static List<X509Certificate> certificates(Path pem) {
        String text = read(pem);
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            Matcher m = BLOCK.matcher(text);
            while (m.find()) {
                if (m.group(1).equals("CERTIFICATE")) {
                    out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(decode(pem, m.group(2)))));
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(pem + " holds a certificate that cannot be read: " + e.getMessage());
        }
        return out;
    }

    static PrivateKey privateKey(Path pem, String algorithm) {
        Matcher m = BLOCK.matcher(read(pem));
        while (m.find()) {
            byte[] der = decode(pem, m.group(2));
            switch (m.group(1)) {
                case "PRIVATE KEY" -> {
                    return pkcs8(pem, der, algorithm);
                }
                case "RSA PRIVATE KEY" -> {
                    return pkcs8(pem, rsaPkcs1ToPkcs8(der), "RSA");
                }
                case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException(pem + " holds an encrypted key; "
                        + "write it unencrypted with `openssl pkcs8 -topk8 -nocrypt -in " + pem + " -out key.pem`");
                case "EC PRIVATE KEY" -> throw new IllegalArgumentException(pem + " holds an EC key in the SEC1 form; "
                        + "write it as PKCS#8 with `openssl pkcs8 -topk8 -nocrypt -in " + pem + " -out key.pem`");
                default -> {
                    // parameters or certificates next to the key: look further
                }
            }
        }
        throw new IllegalArgumentException(pem + " holds no private key (expected -----BEGIN PRIVATE KEY-----)");
    }

    private static PrivateKey pkcs8(Path pem, byte[] der, String algorithm) {
        List<String> tried = new ArrayList<>(List.of(algorithm, "RSA", "EC", "Ed25519", "EdDSA"));
        for (String a : tried) {
            try {
                return KeyFactory.getInstance(a).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException notThisOne) {
                // the next algorithm
            }
        }
        throw new IllegalArgumentException(pem + " holds a private key of a kind this server cannot read "
                + "(RSA, EC and Ed25519 keys in PKCS#8 are supported)");
    }

    /** Wraps a PKCS#1 RSA key in PKCS#8: version 0, the rsaEncryption algorithm, the key as an octet string. */
    static byte[] rsaPkcs1ToPkcs8(byte[] pkcs1) {
        byte[] algorithm = HexFormat.of().parseHex("300d06092a864886f70d0101010500");
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x00});
        body.writeBytes(algorithm);
        body.writeBytes(der(0x04, pkcs1));
        return der(0x30, body.toByteArray());
    }

    private static byte[] der(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = (32 - Integer.numberOfLeadingZeros(n) + 7) / 8;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(n >>> (8 * i));
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] decode(Path pem, String base64) {
        try {
            return Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(pem + " is not valid PEM: " + e.getMessage());
        }
    }

    private static String read(Path pem) {
        try {
            return Files.readString(pem, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + pem + ": " + e.getMessage());
        }
    }
}
