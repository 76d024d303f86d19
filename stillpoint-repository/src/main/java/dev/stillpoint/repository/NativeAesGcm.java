package dev.stillpoint.repository;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;

/**
 * AES-256-GCM through OpenSSL 3's {@code libcrypto.so.3} EVP interface via the FFM API: the
 * same bytes as the JDK's {@code AES/GCM/NoPadding} with a 96-bit nonce and a 128-bit tag, at a
 * fraction of the CPU (OpenSSL's VAES/AVX-512 code is used from the first call, while the JDK's
 * GCM runs interpreted and then C1-compiled Java for the first few hundred megabytes, and
 * compiling it competes with the workers). Heap arrays are passed to native code directly
 * ({@link Linker.Option#critical(boolean) critical} downcalls; each call covers one 64 KiB
 * segment at most).
 *
 * <p>An instance holds two cipher contexts (encrypt, decrypt) with the key schedule set up
 * once; each call only sets the nonce. One thread at a time. {@link #available()} is false when
 * the library or a symbol is missing; {@link Crypto} then uses the JDK. The contexts are freed
 * when the instance becomes unreachable.
 */
final class NativeAesGcm {
    private static final int EVP_CTRL_GCM_GET_TAG = 0x10;
    private static final int EVP_CTRL_GCM_SET_TAG = 0x11;

    private static final MethodHandle CTX_NEW,
            CTX_FREE,
            AES_256_GCM,
            ENC_INIT,
            ENC_UPDATE,
            ENC_FINAL,
            DEC_INIT,
            DEC_UPDATE,
            DEC_FINAL,
            CTRL;
    private static final Throwable LOAD_FAILURE;
    private static final Cleaner CLEANER = Cleaner.create();

    static {
        MethodHandle[] h = new MethodHandle[10];
        Throwable failure = null;
        try {
            SymbolLookup lib = LibCrypto.lookup();
            Linker.Option heap = LibCrypto.HEAP;
            FunctionDescriptor init = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
            FunctionDescriptor update = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT);
            FunctionDescriptor fin = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
            h[0] = LibCrypto.downcall(lib, "EVP_CIPHER_CTX_new", FunctionDescriptor.of(ADDRESS));
            h[1] = LibCrypto.downcall(lib, "EVP_CIPHER_CTX_free", FunctionDescriptor.ofVoid(ADDRESS));
            h[2] = LibCrypto.downcall(lib, "EVP_aes_256_gcm", FunctionDescriptor.of(ADDRESS));
            h[3] = LibCrypto.downcall(lib, "EVP_EncryptInit_ex", init, heap);
            h[4] = LibCrypto.downcall(lib, "EVP_EncryptUpdate", update, heap);
            h[5] = LibCrypto.downcall(lib, "EVP_EncryptFinal_ex", fin, heap);
            h[6] = LibCrypto.downcall(lib, "EVP_DecryptInit_ex", init, heap);
            h[7] = LibCrypto.downcall(lib, "EVP_DecryptUpdate", update, heap);
            h[8] = LibCrypto.downcall(lib, "EVP_DecryptFinal_ex", fin, heap);
            h[9] = LibCrypto.downcall(
                    lib,
                    "EVP_CIPHER_CTX_ctrl",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS),
                    heap);
        } catch (Throwable t) { // no library, native access denied, ...
            java.util.Arrays.fill(h, null);
            failure = t;
        }
        CTX_NEW = h[0];
        CTX_FREE = h[1];
        AES_256_GCM = h[2];
        ENC_INIT = h[3];
        ENC_UPDATE = h[4];
        ENC_FINAL = h[5];
        DEC_INIT = h[6];
        DEC_UPDATE = h[7];
        DEC_FINAL = h[8];
        CTRL = h[9];
        LOAD_FAILURE = failure;
    }

    /** True when libcrypto.so.3 and its EVP AES-GCM functions were found. */
    static boolean available() {
        return CTRL != null;
    }

    /** {@link #available()} and not switched off with {@code -Dstillpoint.nativeCrypto=false}. */
    static boolean enabled() {
        return available() && !"false".equalsIgnoreCase(System.getProperty(NativeSha256.PROPERTY));
    }

    private final MemorySegment enc, dec;
    /** {@code int outl} for the EVP calls. */
    private final MemorySegment outl = Arena.ofAuto().allocate(JAVA_INT);

    /** Only when {@link #available()}; {@code key} is 32 bytes. */
    NativeAesGcm(byte[] key) {
        if (!available()) throw new IllegalStateException("libcrypto.so.3 AES-GCM unavailable: " + LOAD_FAILURE);
        if (key.length != 32) throw new IllegalArgumentException("AES-256 key must be 32 bytes, not " + key.length);
        try {
            MemorySegment e = (MemorySegment) CTX_NEW.invokeExact(), d = (MemorySegment) CTX_NEW.invokeExact();
            if (e.address() == 0 || d.address() == 0) throw new IllegalStateException("EVP_CIPHER_CTX_new failed");
            enc = e;
            dec = d;
            CLEANER.register(this, () -> free(e, d));
            MemorySegment cipher = (MemorySegment) AES_256_GCM.invokeExact();
            MemorySegment k = MemorySegment.ofArray(key);
            check(
                    (int) ENC_INIT.invokeExact(enc, cipher, MemorySegment.NULL, k, MemorySegment.NULL),
                    "EVP_EncryptInit_ex");
            check(
                    (int) DEC_INIT.invokeExact(dec, cipher, MemorySegment.NULL, k, MemorySegment.NULL),
                    "EVP_DecryptInit_ex");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void free(MemorySegment e, MemorySegment d) {
        try {
            CTX_FREE.invokeExact(e);
            CTX_FREE.invokeExact(d);
        } catch (Throwable ignored) {
            // freeing at most two small contexts; nothing to report to
        }
    }

    /**
     * Encrypts {@code in[inOff, inOff+len)} into {@code out[outOff, outOff+len)} and writes the
     * tag after it; returns {@code len + 16}.
     */
    int seal(byte[] nonce, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        java.util.Objects.checkFromIndexSize(inOff, len, in.length);
        java.util.Objects.checkFromIndexSize(outOff, len + Crypto.TAG, out.length);
        try {
            MemorySegment o = MemorySegment.ofArray(out);
            check(
                    (int) ENC_INIT.invokeExact(
                            enc,
                            MemorySegment.NULL,
                            MemorySegment.NULL,
                            MemorySegment.NULL,
                            MemorySegment.ofArray(nonce)),
                    "EVP_EncryptInit_ex");
            if (aad != null && aad.length > 0)
                check(
                        (int) ENC_UPDATE.invokeExact(
                                enc, MemorySegment.NULL, outl, MemorySegment.ofArray(aad), aad.length),
                        "EVP_EncryptUpdate");
            if (len > 0)
                check(
                        (int) ENC_UPDATE.invokeExact(
                                enc,
                                o.asSlice(outOff, len),
                                outl,
                                MemorySegment.ofArray(in).asSlice(inOff, len),
                                len),
                        "EVP_EncryptUpdate");
            check((int) ENC_FINAL.invokeExact(enc, o.asSlice(outOff + len), outl), "EVP_EncryptFinal_ex");
            check(
                    (int) CTRL.invokeExact(enc, EVP_CTRL_GCM_GET_TAG, Crypto.TAG, o.asSlice(outOff + len, Crypto.TAG)),
                    "EVP_CIPHER_CTX_ctrl(GET_TAG)");
        } catch (Throwable t) {
            throw rethrow(t);
        }
        return len + Crypto.TAG;
    }

    /**
     * Decrypts {@code in[inOff, inOff+len)} (ciphertext followed by the 16-byte tag) into
     * {@code out[outOff, ...)}; returns false when the tag does not match (the output must then
     * be discarded).
     */
    boolean open(byte[] nonce, byte[] aad, byte[] in, int inOff, int len, byte[] out, int outOff) {
        int n = len - Crypto.TAG;
        if (n < 0) return false;
        java.util.Objects.checkFromIndexSize(inOff, len, in.length);
        java.util.Objects.checkFromIndexSize(outOff, n, out.length);
        try {
            MemorySegment i = MemorySegment.ofArray(in);
            check(
                    (int) DEC_INIT.invokeExact(
                            dec,
                            MemorySegment.NULL,
                            MemorySegment.NULL,
                            MemorySegment.NULL,
                            MemorySegment.ofArray(nonce)),
                    "EVP_DecryptInit_ex");
            if (aad != null && aad.length > 0)
                check(
                        (int) DEC_UPDATE.invokeExact(
                                dec, MemorySegment.NULL, outl, MemorySegment.ofArray(aad), aad.length),
                        "EVP_DecryptUpdate");
            if (n > 0)
                check(
                        (int) DEC_UPDATE.invokeExact(
                                dec, MemorySegment.ofArray(out).asSlice(outOff, n), outl, i.asSlice(inOff, n), n),
                        "EVP_DecryptUpdate");
            check(
                    (int) CTRL.invokeExact(dec, EVP_CTRL_GCM_SET_TAG, Crypto.TAG, i.asSlice(inOff + n, Crypto.TAG)),
                    "EVP_CIPHER_CTX_ctrl(SET_TAG)");
            int ok = (int) DEC_FINAL.invokeExact(dec, MemorySegment.ofArray(out).asSlice(outOff + n), outl);
            return ok > 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void check(int rc, String fn) {
        LibCrypto.check(rc, fn);
    }

    private static RuntimeException rethrow(Throwable t) {
        return LibCrypto.rethrow(t, "AES-GCM");
    }
}
