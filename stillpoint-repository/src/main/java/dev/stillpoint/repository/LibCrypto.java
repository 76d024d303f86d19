package dev.stillpoint.repository;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * OpenSSL 3's {@code libcrypto.so.3} through the FFM API: the lookup, downcall and result checks
 * that {@link NativeSha256} and {@link NativeAesGcm} share.
 */
@SuppressWarnings("restricted") // native access is this class's purpose
final class LibCrypto {
    static final String LIBRARY = "libcrypto.so.3";
    /** Downcalls that may be passed Java heap arrays directly (short calls: at most one chunk). */
    static final Linker.Option HEAP = Linker.Option.critical(true);

    private LibCrypto() {}

    /** The library; throws IllegalArgumentException when it is not installed, IllegalCallerException when native access is denied. */
    static SymbolLookup lookup() {
        return SymbolLookup.libraryLookup(LIBRARY, Arena.global());
    }

    /** A downcall handle for {@code name}; throws IllegalArgumentException when the symbol is missing. */
    static MethodHandle downcall(SymbolLookup lib, String name, FunctionDescriptor fd, Linker.Option... options) {
        return Linker.nativeLinker()
                .downcallHandle(
                        lib.find(name)
                                .orElseThrow(() ->
                                        new IllegalArgumentException(LIBRARY + ": symbol " + name + " not found")),
                        fd,
                        options);
    }

    /** Throws unless {@code rc} is 1, libcrypto's success. */
    static void check(int rc, String fn) {
        if (rc != 1) throw new IllegalStateException("libcrypto " + fn + " returned " + rc + " (expected 1)");
    }

    /** What a failed {@code invokeExact} of a {@code what} call becomes: runtime exceptions and errors as they are. */
    static RuntimeException rethrow(Throwable t, String what) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("libcrypto " + what + " call failed", t);
    }
}
