package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** libargon2 and BouncyCastle derive the same keys; key files from either path open with the other. */
class NativeArgon2Test {
    @TempDir
    Path tmp;

    @Test
    void nativePathIsAvailableWhereLibargon2IsInstalled() {
        if (!NativeCryptoTest.libraryPresent("libargon2.so.1")) return;
        assertThat(NativeArgon2.available())
                .as("libargon2.so.1 is installed but not loaded: %s", NativeArgon2.loadFailure())
                .isTrue();
    }

    @Test
    void nativeAndBouncyCastleDeriveTheSameKey() {
        if (!NativeArgon2.available()) return;
        SplittableRandom r = new SplittableRandom(3);
        int[][] params = {{8, 1, 1}, {64, 1, 1}, {256, 3, 1}, {256, 2, 2}, {1024, 1, 4}, {512, 4, 3}};
        String[] passwords = {"correct horse battery staple", "", "pässwörd – 日本語 🔑", "x".repeat(300)};
        for (int[] p : params) {
            for (String pw : passwords) {
                byte[] salt = new byte[pw.isEmpty() ? 8 : 16];
                r.nextBytes(salt);
                byte[] java = KeyFile.derive(pw.toCharArray(), salt, p[0], p[1], p[2], false);
                byte[] nat =
                        new byte[32]; // straight to libargon2: derive() would hide a native failure behind its fallback
                NativeArgon2.hash(
                        org.bouncycastle.crypto.PasswordConverter.UTF8.convert(pw.toCharArray()),
                        salt,
                        p[0],
                        p[1],
                        p[2],
                        nat);
                assertThat(nat).as("m=%d t=%d p=%d pw=%s", p[0], p[1], p[2], pw).isEqualTo(java);
                assertThat(KeyFile.derive(pw.toCharArray(), salt, p[0], p[1], p[2], true))
                        .isEqualTo(java);
            }
        }
        // the parameters matter (guards against a binding that ignores an argument)
        byte[] salt = new byte[16];
        assertThat(KeyFile.derive("a".toCharArray(), salt, 64, 1, 1, true))
                .isNotEqualTo(KeyFile.derive("a".toCharArray(), salt, 64, 2, 1, true))
                .isNotEqualTo(KeyFile.derive("a".toCharArray(), salt, 128, 1, 1, true))
                .isNotEqualTo(KeyFile.derive("a".toCharArray(), salt, 64, 1, 2, true))
                .isNotEqualTo(KeyFile.derive("b".toCharArray(), salt, 64, 1, 1, true));
    }

    @Test
    void passwordBytesAreBouncyCastles() {
        for (String pw : new String[] {"", "abc", "pässwörd – 日本語 🔑", "\u0000x\u007f\u0080\u07ff\u0800\uffff"})
            assertThat(KeyFile.utf8(pw.toCharArray()))
                    .as(pw)
                    .isEqualTo(org.bouncycastle.crypto.PasswordConverter.UTF8.convert(pw.toCharArray()));
        assertThat(KeyFile.utf8(new char[] {'a', '\ud800'})).isNull(); // unpaired surrogate: left to BouncyCastle
        assertThat(KeyFile.utf8(new char[] {'\udc00', 'a'})).isNull();
    }

    @Test
    void nativeErrorsAreReportedWithLibargon2sMessage() {
        if (!NativeArgon2.available()) return;
        // m < 8 * p is rejected by libargon2 (ARGON2_MEMORY_TOO_LITTLE)
        assertThatThrownBy(() -> NativeArgon2.hash(new byte[4], new byte[16], 8, 1, 4, new byte[32]))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("failed with -");
    }

    @Test
    void keyFilesOpenAcrossBothPaths() throws Exception {
        if (!NativeArgon2.available()) return;
        char[] pw = "s3cret".toCharArray();
        for (boolean createNative : new boolean[] {false, true}) {
            Path root = tmp.resolve("repo-" + createNative);
            java.nio.file.Files.createDirectories(root.resolve("tmp"));
            byte[] master = withNative(createNative, () -> KeyFile.create(new LocalStore(root), "repo-id", pw, 256, 2));
            byte[] opened = withNative(!createNative, () -> KeyFile.unlock(new LocalStore(root), "repo-id", pw));
            assertThat(opened).as("created native=%s", createNative).isEqualTo(master);
            assertThatThrownBy(() -> withNative(
                            !createNative,
                            () -> KeyFile.unlock(new LocalStore(root), "repo-id", "wrong".toCharArray())))
                    .isInstanceOf(RepositoryException.class)
                    .hasMessageContaining("wrong passphrase");
        }
    }

    @Test
    void newKeyFilesUseTwoLanesAndOldOneLaneFilesStillOpen() throws Exception {
        char[] pw = "old-passphrase".toCharArray();
        Path fresh = tmp.resolve("fresh");
        java.nio.file.Files.createDirectories(fresh.resolve("tmp"));
        byte[] m1 = KeyFile.create(new LocalStore(fresh), "id-1", pw, 256, 2);
        assertThat(java.nio.file.Files.readString(fresh.resolve("keys").resolve(KeyFile.NAME)))
                .contains("\"parallelism\" : 2");
        assertThat(KeyFile.unlock(new LocalStore(fresh), "id-1", pw)).isEqualTo(m1);

        // a key file as every earlier version wrote it: parallelism 1, BouncyCastle
        Path old = tmp.resolve("old");
        java.nio.file.Files.createDirectories(old.resolve("keys"));
        byte[] master = new byte[KeyFile.MASTER_LEN], salt = new byte[16];
        new SplittableRandom(11).nextBytes(master);
        new SplittableRandom(12).nextBytes(salt);
        byte[] kek = KeyFile.derive(pw, salt, 1024, 3, 1, false);
        byte[] wrapped = Crypto.seal(
                new javax.crypto.spec.SecretKeySpec(kek, "AES"),
                javax.crypto.Cipher.getInstance("AES/GCM/NoPadding"),
                master,
                0,
                master.length,
                Crypto.aad("id-old"));
        java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
        java.nio.file.Files.writeString(
                old.resolve("keys").resolve(KeyFile.NAME),
                "{\"kdf\": \"argon2id\", \"memoryKiB\": 1024, \"iterations\": 3, " + "\"parallelism\": 1, \"salt\": \""
                        + b64.encodeToString(salt) + "\", \"wrappedKey\": \"" + b64.encodeToString(wrapped) + "\"}");
        assertThat(withNative(true, () -> KeyFile.unlock(new LocalStore(old), "id-old", pw)))
                .isEqualTo(master);
        assertThat(withNative(false, () -> KeyFile.unlock(new LocalStore(old), "id-old", pw)))
                .isEqualTo(master);
    }

    /** Prints the cost of the default KDF (64 MiB, t=3) both ways; run with -Dstillpoint.kdfBench=true. */
    @Test
    void printDeriveTimes() {
        if (!Boolean.getBoolean("stillpoint.kdfBench") || !NativeArgon2.available()) return;
        byte[] salt = new byte[16];
        for (int p : new int[] {1, 2}) {
            for (boolean nat : new boolean[] {false, true, false, true}) {
                long t0 = System.nanoTime();
                KeyFile.derive("pw".toCharArray(), salt, 64 << 10, 3, p, nat);
                System.out.printf(
                        "derive 64 MiB t=3 p=%d %-13s %5d ms%n",
                        p, nat ? "libargon2" : "bouncycastle", (System.nanoTime() - t0) / 1_000_000);
            }
        }
    }

    interface IoCall<T> {
        T call() throws Exception;
    }

    static <T> T withNative(boolean on, IoCall<T> c) throws Exception {
        String old = System.getProperty(NativeSha256.PROPERTY);
        System.setProperty(NativeSha256.PROPERTY, Boolean.toString(on));
        try {
            return c.call();
        } finally {
            if (old == null) System.clearProperty(NativeSha256.PROPERTY);
            else System.setProperty(NativeSha256.PROPERTY, old);
        }
    }
}
