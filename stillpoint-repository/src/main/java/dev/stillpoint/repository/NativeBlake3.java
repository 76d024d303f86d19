package dev.stillpoint.repository;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * BLAKE3 through the upstream C implementation (SSE2 to AVX-512, picked at run time: ~7.7 GB/s
 * per core here against SHA-256's 1.96 GB/s with SHA-NI). The library {@code
 * libstillpoint-blake3.so} is built with the jar ({@code src/main/native/build-blake3.sh}) and
 * carried in it under {@code native/linux-<arch>/}; it is copied to a private temporary file
 * ({@code java.io.tmpdir}, else {@code $XDG_RUNTIME_DIR} or the home directory when that one is
 * mounted noexec), loaded and the file deleted. Java heap arrays are passed directly (critical downcalls: one
 * call per chunk, no copy).
 *
 * <p>{@link #available()} is false when the jar has no library for this machine, it does not
 * load, or it fails the self-test (the hash of the empty input); {@link Blake3} then gives the
 * same bytes in Java. {@code -Dstillpoint.nativeCrypto=false} disables it ({@link #enabled()}).
 */
@SuppressWarnings("restricted") // native access is this class's purpose
final class NativeBlake3 {
    static final String LIBRARY = "libstillpoint-blake3.so";
    /** BLAKE3 of the empty input (the specification's first test vector). */
    private static final String EMPTY = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";

    private static final MethodHandle HASH;
    private static final Throwable LOAD_FAILURE;

    static {
        MethodHandle hash = null;
        Throwable failure = null;
        try {
            SymbolLookup lib = load();
            hash = Linker.nativeLinker()
                    .downcallHandle(
                            lib.find("stillpoint_blake3")
                                    .orElseThrow(() -> new IllegalArgumentException(
                                            LIBRARY + ": symbol stillpoint_blake3 not found")),
                            FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG, ADDRESS),
                            LibCrypto.HEAP);
            byte[] out = new byte[32];
            hash.invokeExact(MemorySegment.NULL, MemorySegment.ofArray(new byte[0]), 0L, MemorySegment.ofArray(out));
            if (!Hex.of(out).equals(EMPTY))
                throw new IllegalStateException(LIBRARY + " fails its self-test: BLAKE3('') = " + Hex.of(out));
        } catch (Throwable t) { // no library in the jar, cannot load, native access denied, wrong output
            hash = null;
            failure = t;
        }
        HASH = hash;
        LOAD_FAILURE = failure;
    }

    private NativeBlake3() {}

    /** The jar's library for this machine, loaded from a private temporary file (deleted once loaded). */
    private static SymbolLookup load() throws IOException {
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> System.getProperty("os.arch");
        };
        String resource = "/native/linux-" + arch + "/" + LIBRARY;
        if (NativeBlake3.class.getResource(resource) == null)
            throw new IllegalArgumentException(
                    "no " + resource + " in the jar (built without cc or librust-blake3-dev)");
        // java.io.tmpdir first; /tmp is often mounted noexec (dlopen fails there): then the runtime dir and home
        java.util.List<Path> dirs =
                new java.util.ArrayList<>(java.util.List.of(Path.of(System.getProperty("java.io.tmpdir"))));
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isEmpty()) dirs.add(Path.of(runtime));
        dirs.add(Path.of(System.getProperty("user.home")));
        Exception first = null;
        for (Path dir : dirs) {
            try (InputStream in = NativeBlake3.class.getResourceAsStream(resource)) {
                Path file = Files.createTempFile(dir, ".stillpoint-blake3-", ".so"); // owner-only on POSIX
                try {
                    Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                    return SymbolLookup.libraryLookup(file, Arena.global()); // mapped now: the file may go
                } finally {
                    Files.deleteIfExists(file);
                }
            } catch (IOException | IllegalArgumentException e) { // cannot write there, or dlopen refused (noexec)
                if (first == null) first = e;
                else first.addSuppressed(e);
            }
        }
        if (first instanceof IOException io) throw io;
        throw (IllegalArgumentException) first;
    }

    /** True when the library loaded and passed its self-test. */
    static boolean available() {
        return HASH != null;
    }

    /** Why {@link #available()} is false (null when it is true). */
    static Throwable loadFailure() {
        return LOAD_FAILURE;
    }

    /** {@link #available()} and not switched off with {@code -Dstillpoint.nativeCrypto=false}. */
    static boolean enabled() {
        return available() && !"false".equalsIgnoreCase(System.getProperty(NativeSha256.PROPERTY));
    }

    /**
     * Writes BLAKE3 of {@code in[off, off+len)} to {@code out[outOff, outOff+32)}: keyed_hash mode
     * under {@code key} (32 bytes), or the plain hash when {@code key} is null.
     */
    static void hash(byte[] key, byte[] in, int off, int len, byte[] out, int outOff) {
        if (HASH == null) throw new IllegalStateException(LIBRARY + " unavailable: " + LOAD_FAILURE);
        if (key != null && key.length != 32)
            throw new IllegalArgumentException("BLAKE3 key of " + key.length + " bytes (must be 32)");
        java.util.Objects.checkFromIndexSize(off, len, in.length);
        java.util.Objects.checkFromIndexSize(outOff, 32, out.length);
        MemorySegment k = key == null
                ? MemorySegment.NULL
                : MemorySegment.ofArray(key); // a local: invokeExact needs its static type
        try {
            HASH.invokeExact(
                    k,
                    MemorySegment.ofArray(in).asSlice(off, len),
                    (long) len,
                    MemorySegment.ofArray(out).asSlice(outOff, 32));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(LIBRARY + " call failed", t);
        }
    }
}
