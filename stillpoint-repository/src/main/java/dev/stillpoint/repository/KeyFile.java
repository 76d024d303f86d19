package dev.stillpoint.repository;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.repository.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * {@code keys/master.json}: the 64-byte master key (AES key + id key), sealed with AES-256-GCM
 * under a key-encryption key derived from the passphrase with Argon2id. The repository id is
 * the associated data, so a key file cannot be moved to another repository.
 */
final class KeyFile {
    static final String NAME = "master.json";
    static final int MASTER_LEN = 64;
    /**
     * Argon2id lanes for NEW key files. libargon2 hashes the two lanes on two threads (64 MiB,
     * t=3: ~95 ms instead of ~160 ms here); BouncyCastle runs them one after the other at the
     * cost of one lane. Existing key files keep the parallelism stored in them.
     */
    static final int NEW_PARALLELISM = 2;

    private KeyFile() {}

    static byte[] create(Store root, String repoId, char[] password, int memoryKiB, int iterations) throws IOException {
        byte[] master = Crypto.random(MASTER_LEN);
        write(root, repoId, master, password, memoryKiB, iterations);
        return master;
    }

    /**
     * Replaces the key file with one that wraps the same master key under {@code newPassword}
     * (new salt, the old file's memory and iterations): the data stays readable, only the
     * passphrase changes. The file is replaced atomically, so a concurrent open sees the old or
     * the new one. Throws WRONG_PASSWORD when {@code oldPassword} does not unlock.
     *
     * <p>Changes are serialised (in this JVM, and across processes by a lock on
     * {@code keys/}{@value #CHANGE_LOCK}): two changes from the same passphrase at once would
     * otherwise both succeed and the first new passphrase would silently open nothing; the second
     * now unlocks the file the first wrote and fails with WRONG_PASSWORD.
     */
    static void change(Store root, String repoId, char[] oldPassword, char[] newPassword) throws IOException {
        if (newPassword == null || newPassword.length == 0)
            throw new RepositoryException(RepositoryException.Code.INVALID_ARGUMENT, "new passphrase: empty");
        synchronized (KeyFile.class) { // a file lock is held per JVM, not per thread
            Path keys = root.localRoot() == null
                    ? null
                    : root.localRoot().resolve("keys"); // missing: unlock reports the missing key file
            try (java.nio.channels.FileChannel lock = keys != null && Files.isDirectory(keys)
                            ? java.nio.channels.FileChannel.open(
                                    keys.resolve(CHANGE_LOCK),
                                    java.nio.file.StandardOpenOption.CREATE,
                                    java.nio.file.StandardOpenOption.WRITE)
                            : null;
                    java.nio.channels.FileLock held = lock == null ? null : lockOrNone(lock)) {
                requirePassword(root, oldPassword);
                Stored stored = read(root);
                write(
                        root,
                        repoId,
                        unwrap(stored, root, repoId, oldPassword),
                        newPassword,
                        stored.memoryKiB(),
                        stored.iterations());
            }
        }
    }

    /** A lock on {@code ch}, or null on a filesystem without locks (e.g. NFS without lockd): the change runs unlocked there. */
    private static java.nio.channels.FileLock lockOrNone(java.nio.channels.FileChannel ch) {
        try {
            return ch.lock();
        } catch (IOException e) {
            return null;
        }
    }

    /** The file in {@code keys/} that passphrase changes lock (empty; never read). */
    static final String CHANGE_LOCK = "passwd.lock";

    private static void write(Store root, String repoId, byte[] master, char[] password, int memoryKiB, int iterations)
            throws IOException {
        byte[] salt = Crypto.random(16);
        int parallelism = memoryKiB >= 8 * NEW_PARALLELISM ? NEW_PARALLELISM : 1; // Argon2 needs 8 KiB per lane
        byte[] kek = derive(password, salt, memoryKiB, iterations, parallelism);
        byte[] wrapped;
        try {
            wrapped = Crypto.seal(
                    new SecretKeySpec(kek, "AES"),
                    Cipher.getInstance("AES/GCM/NoPadding"),
                    master,
                    0,
                    MASTER_LEN,
                    Crypto.aad(repoId));
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("AES-GCM unavailable", e);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kdf", "argon2id");
        m.put("memoryKiB", memoryKiB);
        m.put("iterations", iterations);
        m.put("parallelism", parallelism);
        m.put("salt", Base64.getEncoder().encodeToString(salt));
        m.put("wrappedKey", Base64.getEncoder().encodeToString(wrapped));
        // (a local store puts the temp file beside the key file, not in tmp/: prune empties tmp/
        // without a lock a passphrase change would wait for, and could delete it before the rename)
        root.replace(
                "keys/" + NAME, JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asBytes(m));
    }

    static byte[] unlock(Store root, String repoId, char[] password) throws IOException {
        requirePassword(root, password);
        return unwrap(read(root), root, repoId, password);
    }

    private static void requirePassword(Store root, char[] password) throws RepositoryException {
        if (password == null || password.length == 0)
            throw new RepositoryException(
                    RepositoryException.Code.WRONG_PASSWORD,
                    root.location()
                            + " is encrypted: a passphrase is required (STILLPOINT_PASSWORD, --password-file or prompt)");
    }

    /** The key file's fields, checked. */
    private record Stored(String file, byte[] salt, byte[] wrapped, int memoryKiB, int iterations, int parallelism) {}

    /** Reads and checks {@code keys/master.json}: CORRUPT when missing or malformed, UNSUPPORTED_VERSION for another KDF. */
    private static Stored read(Store root) throws IOException {
        String file = RepoConfig.where(root, "keys/" + NAME);
        byte[] raw;
        try {
            raw = root.get("keys/" + NAME);
        } catch (NoSuchFileException e) {
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT, file + ": missing key file of an encrypted repository");
        }
        Map<String, Object> m;
        try {
            m = JSON.std.mapFrom(raw);
        } catch (IOException | RuntimeException e) {
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT,
                    file + ": not valid JSON (damaged or truncated): " + e.getMessage(),
                    e);
        }
        if (!"argon2id".equals(m.get("kdf")))
            throw new RepositoryException(
                    RepositoryException.Code.UNSUPPORTED_VERSION,
                    file + ": kdf '" + m.get("kdf") + "' is not supported (argon2id)");
        Stored s;
        try {
            s = new Stored(
                    file,
                    Base64.getDecoder().decode((String) m.get("salt")),
                    Base64.getDecoder().decode((String) m.get("wrappedKey")),
                    ((Number) m.get("memoryKiB")).intValue(),
                    ((Number) m.get("iterations")).intValue(),
                    ((Number) m.get("parallelism")).intValue());
        } catch (RuntimeException e) {
            throw new RepositoryException(RepositoryException.Code.CORRUPT, file + ": bad or missing field: " + e, e);
        }
        if (s.wrapped().length != Crypto.OVERHEAD + MASTER_LEN
                || s.memoryKiB() < 8
                || s.memoryKiB() > (4 << 20)
                || s.iterations() < 1
                || s.parallelism() < 1
                || s.parallelism() > 16)
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT,
                    file + ": wrappedKey is " + s.wrapped().length + " bytes (expected "
                            + (Crypto.OVERHEAD + MASTER_LEN) + ") or KDF parameters out of range");
        return s;
    }

    /** The master key wrapped in {@code s}, under the key derived from {@code password}; WRONG_PASSWORD when it does not unlock. */
    private static byte[] unwrap(Stored s, Store root, String repoId, char[] password) throws IOException {
        byte[] kek = derive(password, s.salt(), s.memoryKiB(), s.iterations(), s.parallelism());
        try {
            return Crypto.open(
                    new SecretKeySpec(kek, "AES"),
                    Cipher.getInstance("AES/GCM/NoPadding"),
                    s.wrapped(),
                    0,
                    s.wrapped().length,
                    Crypto.aad(repoId),
                    s.file());
        } catch (RepositoryException e) {
            throw new RepositoryException(
                    RepositoryException.Code.WRONG_PASSWORD,
                    "wrong passphrase for repository " + root.location() + " (the key in " + s.file()
                            + " did not unlock)");
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("AES-GCM unavailable", e);
        }
    }

    /**
     * Argon2id (v1.3) of the passphrase, 32 bytes. Uses {@link NativeArgon2} (libargon2) when it
     * is {@link NativeArgon2#enabled() enabled}, BouncyCastle otherwise or when the native call
     * reports an error; both give the same key for the same parameters.
     */
    static byte[] derive(char[] password, byte[] salt, int memoryKiB, int iterations, int parallelism) {
        return derive(password, salt, memoryKiB, iterations, parallelism, NativeArgon2.enabled());
    }

    /** As {@link #derive(char[], byte[], int, int, int)} with the native path forced on or off (tests). */
    static byte[] derive(
            char[] password, byte[] salt, int memoryKiB, int iterations, int parallelism, boolean nativeKdf) {
        byte[] out = new byte[32];
        byte[] pwd = nativeKdf ? utf8(password) : null;
        if (pwd != null) {
            try {
                NativeArgon2.hash(pwd, salt, memoryKiB, iterations, parallelism, out);
                return out;
            } catch (IllegalStateException e) {
                // e.g. thread creation failed or parameters libargon2 rejects: the Java path gives the same key
            } finally {
                Arrays.fill(pwd, (byte) 0);
            }
        }
        JavaArgon2.derive(password, salt, memoryKiB, iterations, parallelism, out);
        return out;
    }

    /**
     * The password bytes BouncyCastle's default converter ({@code PasswordConverter.UTF8}) hashes,
     * or null for a password with an unpaired surrogate (BouncyCastle rejects those; the Java path
     * keeps that behaviour). Done here because loading the signed BouncyCastle jar costs ~0.2 s.
     */
    static byte[] utf8(char[] password) {
        try {
            java.nio.ByteBuffer b = java.nio.charset.StandardCharsets.UTF_8
                    .newEncoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .encode(java.nio.CharBuffer.wrap(password));
            byte[] out = new byte[b.remaining()];
            b.get(out);
            if (b.hasArray()) Arrays.fill(b.array(), (byte) 0);
            return out;
        } catch (java.nio.charset.CharacterCodingException e) {
            return null;
        }
    }

    /** BouncyCastle's Argon2id, in its own class so that the native path never loads BouncyCastle. */
    private static final class JavaArgon2 {
        static void derive(char[] password, byte[] salt, int memoryKiB, int iterations, int parallelism, byte[] out) {
            Argon2Parameters p = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                    .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                    .withSalt(salt)
                    .withMemoryAsKB(memoryKiB)
                    .withIterations(iterations)
                    .withParallelism(parallelism)
                    .build();
            Argon2BytesGenerator g = new Argon2BytesGenerator();
            g.init(p);
            g.generateBytes(password, out);
        }
    }
}
