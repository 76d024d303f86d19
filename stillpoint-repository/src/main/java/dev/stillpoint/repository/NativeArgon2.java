package dev.stillpoint.repository;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * Argon2id (version 0x13) through the reference implementation in {@code libargon2.so.1}
 * (Debian package {@code libargon2-1}) via the FFM API: {@code argon2id_hash_raw}. The library
 * runs the lanes of {@code parallelism > 1} on its own threads. Same output as BouncyCastle's
 * {@code Argon2BytesGenerator} for the same password bytes, salt and parameters.
 *
 * <p>{@link #available()} is false when the library or the symbol is missing; {@link
 * #enabled()} also honours {@code -Dstillpoint.nativeCrypto=false}. Password and salt are copied
 * to native memory (no critical downcall: the hash takes long, the GC must not wait for it)
 * and the copy of the password is zeroed before it is freed.
 */
@SuppressWarnings("restricted") // native access is this class's purpose
final class NativeArgon2 {
    static final int ARGON2_OK = 0;

    private static final MethodHandle HASH_RAW, ERROR_MESSAGE;
    private static final Throwable LOAD_FAILURE;

    static {
        MethodHandle hash = null, message = null;
        Throwable failure = null;
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup lib = SymbolLookup.libraryLookup("libargon2.so.1", Arena.global());
            // int argon2id_hash_raw(uint32_t t_cost, uint32_t m_cost, uint32_t parallelism, const void *pwd, size_t
            // pwdlen,
            //                       const void *salt, size_t saltlen, void *hash, size_t hashlen)
            hash = linker.downcallHandle(
                    lib.find("argon2id_hash_raw")
                            .orElseThrow(() ->
                                    new IllegalArgumentException("libargon2.so.1: symbol argon2id_hash_raw not found")),
                    FunctionDescriptor.of(
                            JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS,
                            JAVA_LONG));
            message = lib.find("argon2_error_message")
                    .map(s -> linker.downcallHandle(
                            s,
                            FunctionDescriptor.of(
                                    ADDRESS.withTargetLayout(
                                            java.lang.foreign.MemoryLayout.sequenceLayout(256, JAVA_BYTE)),
                                    JAVA_INT)))
                    .orElse(null);
        } catch (Throwable t) {
            hash = message = null;
            failure = t;
        }
        HASH_RAW = hash;
        ERROR_MESSAGE = message;
        LOAD_FAILURE = failure;
    }

    private NativeArgon2() {}

    static boolean available() {
        return HASH_RAW != null;
    }

    static Throwable loadFailure() {
        return LOAD_FAILURE;
    }

    static boolean enabled() {
        return available() && !"false".equalsIgnoreCase(System.getProperty(NativeSha256.PROPERTY));
    }

    /**
     * Argon2id of {@code password} (bytes, as BouncyCastle's UTF-8 password converter makes
     * them) into {@code out}. Throws {@link IllegalStateException} with libargon2's error code and
     * message when it does not return {@code ARGON2_OK}.
     */
    static void hash(byte[] password, byte[] salt, int memoryKiB, int iterations, int parallelism, byte[] out) {
        if (!available()) throw new IllegalStateException("libargon2.so.1 unavailable: " + LOAD_FAILURE);
        int rc;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pwd = arena.allocate(Math.max(1, password.length));
            MemorySegment.copy(password, 0, pwd, JAVA_BYTE, 0, password.length);
            MemorySegment s = arena.allocate(Math.max(1, salt.length));
            MemorySegment.copy(salt, 0, s, JAVA_BYTE, 0, salt.length);
            MemorySegment h = arena.allocate(out.length);
            try {
                rc = (int) HASH_RAW.invokeExact(
                        iterations,
                        memoryKiB,
                        parallelism,
                        pwd,
                        (long) password.length,
                        s,
                        (long) salt.length,
                        h,
                        (long) out.length);
            } catch (Throwable t) {
                throw new IllegalStateException("argon2id_hash_raw call failed", t);
            } finally {
                pwd.fill((byte) 0);
            }
            if (rc == ARGON2_OK) MemorySegment.copy(h, JAVA_BYTE, 0, out, 0, out.length);
            h.fill((byte) 0);
        }
        if (rc != ARGON2_OK)
            throw new IllegalStateException("argon2id_hash_raw(t=" + iterations + ", m=" + memoryKiB + " KiB, p="
                    + parallelism + ") failed with " + rc + " (" + message(rc) + ")");
    }

    private static String message(int rc) {
        if (ERROR_MESSAGE == null) return "no message";
        try {
            MemorySegment m = (MemorySegment) ERROR_MESSAGE.invokeExact(rc);
            return m.equals(MemorySegment.NULL) ? "unknown error" : m.getString(0);
        } catch (Throwable t) {
            return "no message: " + t;
        }
    }
}
