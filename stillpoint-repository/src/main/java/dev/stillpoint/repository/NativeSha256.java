package dev.stillpoint.repository;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * SHA-256 through OpenSSL 3's {@code libcrypto.so.3} ({@code SHA256_Init/Update/Final}, which
 * use the SHA-NI instructions) via the FFM API. Java heap arrays are handed to native code
 * directly ({@link Linker.Option#critical(boolean) critical} downcalls with heap access: no copy,
 * no pinning cost); the calls are short (at most one chunk), so the GC is held off only briefly.
 *
 * <p>{@link #available()} is false when the library or a symbol is missing; callers then use
 * the JDK's SHA-256. {@code -Dstillpoint.nativeCrypto=false} disables the native path ({@link
 * #enabled()}). An instance holds one {@code SHA256_CTX} and is used by one thread at a time.
 * A context can be saved and restored with {@link #save}/{@link #restore} (a plain struct copy),
 * which is how HMAC reuses its precomputed key blocks.
 */
final class NativeSha256 {
    static final String PROPERTY = "stillpoint.nativeCrypto";
    /** {@code sizeof(SHA256_CTX)} is 112 on LP64; 128 leaves room. */
    static final long CTX_SIZE = 128;

    private static final MethodHandle INIT, UPDATE, FINAL;
    private static final Throwable LOAD_FAILURE;

    static {
        MethodHandle init = null, update = null, fin = null;
        Throwable failure = null;
        try {
            SymbolLookup lib = LibCrypto.lookup();
            init = LibCrypto.downcall(lib, "SHA256_Init", FunctionDescriptor.of(JAVA_INT, ADDRESS), LibCrypto.HEAP);
            update = LibCrypto.downcall(
                    lib, "SHA256_Update", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG), LibCrypto.HEAP);
            fin = LibCrypto.downcall(
                    lib, "SHA256_Final", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), LibCrypto.HEAP);
        } catch (Throwable t) { // IllegalArgumentException (no library), IllegalCallerException (native access denied),
            // ...
            init = update = fin = null;
            failure = t;
        }
        INIT = init;
        UPDATE = update;
        FINAL = fin;
        LOAD_FAILURE = failure;
    }

    /** True when libcrypto.so.3 and its SHA-256 functions were found. */
    static boolean available() {
        return INIT != null;
    }

    /** Why {@link #available()} is false (null when it is true). */
    static Throwable loadFailure() {
        return LOAD_FAILURE;
    }

    /** {@link #available()} and not switched off with {@code -Dstillpoint.nativeCrypto=false}. */
    static boolean enabled() {
        return available() && !"false".equalsIgnoreCase(System.getProperty(PROPERTY));
    }

    private final MemorySegment ctx;

    /** Only when {@link #available()}. The context lives until this object is unreachable. */
    NativeSha256() {
        if (!available()) throw new IllegalStateException("libcrypto.so.3 SHA-256 unavailable: " + LOAD_FAILURE);
        ctx = Arena.ofAuto().allocate(CTX_SIZE, 16);
        reset();
    }

    void reset() {
        try {
            check((int) INIT.invokeExact(ctx), "SHA256_Init");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void update(byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) return;
        try {
            check(
                    (int) UPDATE.invokeExact(ctx, MemorySegment.ofArray(b).asSlice(off, len), (long) len),
                    "SHA256_Update");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Writes the 32-byte digest to {@code out[off, off+32)}; the context must be reset or restored before reuse. */
    void digest(byte[] out, int off) {
        try {
            check((int) FINAL.invokeExact(MemorySegment.ofArray(out).asSlice(off, 32), ctx), "SHA256_Final");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    byte[] digest() {
        byte[] out = new byte[32];
        digest(out, 0);
        return out;
    }

    /** Copies the current state into {@code saved} (from {@link #newState()}). */
    void save(MemorySegment saved) {
        MemorySegment.copy(ctx, 0, saved, 0, CTX_SIZE);
    }

    /** Makes the state the one {@link #save saved} earlier. */
    void restore(MemorySegment saved) {
        MemorySegment.copy(saved, 0, ctx, 0, CTX_SIZE);
    }

    static MemorySegment newState() {
        return Arena.ofAuto().allocate(CTX_SIZE, 16);
    }

    private static void check(int rc, String fn) {
        LibCrypto.check(rc, fn);
    }

    private static RuntimeException rethrow(Throwable t) {
        return LibCrypto.rethrow(t, "SHA-256");
    }
}
