package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** Native (libcrypto) chunk ids are byte-for-byte the JDK's, and are really used where libcrypto exists. */
class NativeCryptoTest {
    static final List<Path> LIB_DIRS = List.of(
            Path.of("/usr/lib/x86_64-linux-gnu"),
            Path.of("/lib/x86_64-linux-gnu"),
            Path.of("/usr/lib/aarch64-linux-gnu"),
            Path.of("/usr/lib64"),
            Path.of("/usr/lib"));

    static boolean libraryPresent(String name) {
        return LIB_DIRS.stream().anyMatch(d -> Files.exists(d.resolve(name)));
    }

    static final int MIB = 1 << 20;
    static final int[] LENGTHS = {0, 1, 31, 55, 56, 63, 64, 65, 127, 128, 8191, 8192, 8193, 65536 + 3, MIB, MIB + 17};

    @Test
    void nativePathIsTakenWhereLibcryptoIsInstalled() {
        if (!libraryPresent("libcrypto.so.3")) return; // nothing to prove on a host without OpenSSL 3
        assertThat(NativeSha256.available())
                .as("libcrypto.so.3 is installed but not loaded: %s", NativeSha256.loadFailure())
                .isTrue();
        String old = System.clearProperty(NativeSha256.PROPERTY);
        try {
            assertThat(Crypto.none().nativeIds()).isTrue();
            assertThat(Crypto.aes(new byte[64]).nativeIds()).isTrue();
            System.setProperty(NativeSha256.PROPERTY, "false");
            assertThat(NativeSha256.enabled()).isFalse();
            assertThat(Crypto.none().nativeIds()).isFalse();
            assertThat(Crypto.aes(new byte[64]).nativeIds()).isFalse();
        } finally {
            if (old == null) System.clearProperty(NativeSha256.PROPERTY);
            else System.setProperty(NativeSha256.PROPERTY, old);
        }
    }

    @Test
    void idsMatchTheJdkForManyLengthsAndOffsets() throws Exception {
        assertThat(NativeSha256.available() || !libraryPresent("libcrypto.so.3"))
                .as("libcrypto.so.3 present but not loaded")
                .isTrue();
        if (!NativeSha256.available()) return;
        SplittableRandom rnd = new SplittableRandom(42);
        byte[] master = new byte[64];
        rnd.nextBytes(master);
        Crypto plainN = Crypto.none(true), plainJ = Crypto.none(false);
        Crypto aesN = Crypto.aes(master, true), aesJ = Crypto.aes(master, false);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(master, 32, 32, "HmacSHA256"));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] big = new byte[2 * MIB + 100];
        rnd.nextBytes(big);
        int checked = 0;
        for (int len : LENGTHS) {
            for (int off : new int[] {0, 1, 7, 64, big.length - len}) {
                if (off + len > big.length) continue;
                String what = "len " + len + " off " + off;
                sha.update(big, off, len);
                byte[] wantPlain = sha.digest();
                mac.update(big, off, len);
                byte[] wantMac = mac.doFinal();
                assertThat(plainN.id(big, off, len).bytes()).as(what).isEqualTo(wantPlain);
                assertThat(plainJ.id(big, off, len).bytes()).as(what).isEqualTo(wantPlain);
                assertThat(aesN.id(big, off, len).bytes()).as(what).isEqualTo(wantMac);
                assertThat(aesJ.id(big, off, len).bytes()).as(what).isEqualTo(wantMac);
                checked++;
            }
            byte[] exact = java.util.Arrays.copyOfRange(big, 3, 3 + len); // a whole array, as the writer passes it
            assertThat(aesN.id(exact, 0, len)).isEqualTo(aesJ.id(exact, 0, len));
            assertThat(plainN.id(exact, 0, len)).isEqualTo(plainJ.id(exact, 0, len));
        }
        assertThat(checked).isGreaterThan(LENGTHS.length * 3);
        // a key other than all-zero ipad/opad mistakes would hide: different keys give different ids
        assertThat(Crypto.aes(new byte[64], true).id(big, 0, 100)).isNotEqualTo(aesN.id(big, 0, 100));
    }

    @Test
    void nativeGcmSealsTheJdksBytesAndEachOpensTheOthers() throws Exception {
        assertThat(NativeAesGcm.available() || !libraryPresent("libcrypto.so.3"))
                .as("libcrypto.so.3 present but AES-GCM not loaded")
                .isTrue();
        if (!NativeAesGcm.available()) return;
        SplittableRandom rnd = new SplittableRandom(17);
        byte[] master = new byte[64];
        rnd.nextBytes(master);
        Crypto n = Crypto.aes(master, true), j = Crypto.aes(master, false);
        assertThat(n.nativeGcm()).isTrue();
        assertThat(j.nativeGcm()).isFalse();
        byte[] big = new byte[2 * MIB + 100];
        rnd.nextBytes(big);
        byte[] aad = new byte[32];
        rnd.nextBytes(aad);
        int[] lengths = {
            0,
            1,
            15,
            16,
            17,
            Crypto.SEGMENT - 1,
            Crypto.SEGMENT,
            Crypto.SEGMENT + 1,
            3 * Crypto.SEGMENT + 5,
            MIB,
            MIB + 1
        };
        for (int len : lengths) {
            for (int off : new int[] {0, 3}) {
                String what = "len " + len + " off " + off;
                byte[] base = Crypto.random(Crypto.NONCE);
                byte[] outN = new byte[Crypto.segmentedLength(len)], outJ = new byte[Crypto.segmentedLength(len)];
                n.sealSegmented(big, off, len, aad, outN, base);
                j.sealSegmented(big, off, len, aad, outJ, base);
                assertThat(outN).as(what).isEqualTo(outJ);
                byte[] want = java.util.Arrays.copyOfRange(big, off, off + len);
                for (Crypto opener : new Crypto[] {n, j}) {
                    byte[] got = new byte[len];
                    opener.openSegmented(outN, 0, outN.length, aad, got, len, what);
                    assertThat(got).as(what).isEqualTo(want);
                }
                // a flipped bit anywhere (nonce, ciphertext, tag) and a wrong aad are refused by both
                for (int at : new int[] {0, Crypto.NONCE, outN.length / 2, outN.length - 1}) {
                    byte[] bad = outN.clone();
                    bad[at] ^= 0x10;
                    for (Crypto opener : new Crypto[] {n, j}) {
                        org.assertj.core.api.Assertions.assertThatThrownBy(
                                        () -> opener.openSegmented(bad, 0, bad.length, aad, new byte[len], len, "blob"))
                                .as(what + " flip at " + at)
                                .isInstanceOf(RepositoryException.class)
                                .hasMessageContaining("authentication failed");
                    }
                }
                byte[] otherAad = aad.clone();
                otherAad[0] ^= 1;
                org.assertj.core.api.Assertions.assertThatThrownBy(
                                () -> n.openSegmented(outN, 0, outN.length, otherAad, new byte[len], len, "blob"))
                        .as(what)
                        .hasMessageContaining("authentication failed");
            }
        }
    }

    @Test
    void nativeIdsAreThreadSafe() throws Exception {
        if (!NativeSha256.available()) return;
        byte[] master = new byte[64];
        new SplittableRandom(5).nextBytes(master);
        Crypto n = Crypto.aes(master, true), j = Crypto.aes(master, false);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = t;
                fs.add(pool.submit(() -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    for (int i = 0; i < 200; i++) {
                        byte[] b = new byte[r.nextInt(20_000)];
                        r.nextBytes(b);
                        if (!n.id(b, 0, b.length).equals(j.id(b, 0, b.length))) return false;
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : fs) assertThat(f.get()).isTrue();
        } finally {
            pool.shutdownNow();
        }
    }

    /** Prints MB/s of {@link Crypto#id} on 1 MiB buffers, one thread; a measurement, not an assertion. */
    @Test
    void printIdThroughput() {
        if (!NativeSha256.available()) return;
        int rounds = Integer.getInteger("stillpoint.idBenchMiB", 192);
        byte[] buf = new byte[MIB];
        new SplittableRandom(9).nextBytes(buf);
        byte[] master = new byte[64];
        for (int pass = 0; pass < 2; pass++) { // the first pass warms the JIT
            for (boolean nat : new boolean[] {false, true}) {
                for (Crypto c : new Crypto[] {Crypto.none(nat), Crypto.aes(master, nat)}) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < rounds; i++) c.id(buf, 0, buf.length);
                    double s = (System.nanoTime() - t0) / 1e9;
                    if (pass == 1)
                        System.out.printf(
                                "Crypto.id 1 MiB %-6s %-11s %7.0f MB/s%n",
                                nat ? "native" : "java",
                                c.encrypted() ? "hmac-sha256" : "sha256",
                                rounds * (double) MIB / 1e6 / s);
                }
            }
        }
    }
}
