package dev.stillpoint.repository;

import dev.stillpoint.repository.RepositoryOptions.IdHash;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Chunk ids and authenticated encryption. Unencrypted repositories use plain hash ids and no
 * sealing; encrypted ones use a keyed hash with a secret id key (ids do not reveal plaintext
 * equality to anyone without the key) and AES-256-GCM with a random 96-bit nonce per message.
 * Sealed layout: {@code nonce(12) || ciphertext || tag(16)}. The id hash is the repository's
 * {@link IdHash}: BLAKE3 and keyed BLAKE3 (format version 3), or SHA-256 and HMAC-SHA256 (versions
 * 1 and 2).
 *
 * <p>BLAKE3 ids are computed by {@link NativeBlake3} when it is {@link NativeBlake3#enabled()
 * enabled}, by {@link Blake3} (Java) otherwise; both give the same bytes.
 *
 * <p>SHA-256 ids are computed by {@link NativeSha256} (OpenSSL's libcrypto) when it is {@link
 * NativeSha256#enabled() enabled}, by the JDK otherwise; both give the same bytes. The native
 * HMAC is RFC 2104 built on SHA-256, with the hash states after the padded key blocks
 * {@code K xor ipad} and {@code K xor opad} computed once per key. Chunk segments are sealed
 * and opened by {@link NativeAesGcm} (the same library) in the same case, with the same bytes.
 */
final class Crypto {
    static final int NONCE = 12;
    static final int TAG = 16;
    static final int OVERHEAD = NONCE + TAG;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec encKey;
    private final SecretKeySpec idKey;
    private final IdHash idHash;
    /** BLAKE3 ids: the id key (null when unencrypted) as bytes for the native code and as words for Java; whether native. */
    private final byte[] blake3Key;

    private final int[] blake3KeyWords;
    private final boolean nativeBlake3;
    private final ThreadLocal<MessageDigest> sha = ThreadLocal.withInitial(() -> newDigest());
    private final ThreadLocal<Mac> mac;
    private final ThreadLocal<Cipher> cipher = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM unavailable", e);
        }
    });

    /** Native ids: one SHA256_CTX per thread; for HMAC the states after the ipad/opad key blocks. */
    private final ThreadLocal<NativeSha256> nativeSha;

    private final MemorySegment innerStart, outerStart;
    /** Native AES-256-GCM for chunk segments (one per thread), or null: the JDK's cipher. */
    private final ThreadLocal<NativeAesGcm> nativeGcm;

    private Crypto(byte[] enc, byte[] id, IdHash idHash, boolean nativeIds) {
        this.idHash = idHash;
        this.blake3Key = idHash == IdHash.BLAKE3 && id != null ? id.clone() : null;
        this.blake3KeyWords = blake3Key == null ? null : Blake3.keyWords(blake3Key);
        this.nativeBlake3 = idHash == IdHash.BLAKE3 && nativeIds && NativeBlake3.enabled();
        this.encKey = enc == null ? null : new SecretKeySpec(enc, "AES");
        this.idKey = id == null ? null : new SecretKeySpec(id, "HmacSHA256");
        this.mac = idKey == null
                ? null
                : ThreadLocal.withInitial(() -> {
                    try {
                        Mac m = Mac.getInstance("HmacSHA256");
                        m.init(idKey);
                        return m;
                    } catch (GeneralSecurityException e) {
                        throw new IllegalStateException("HmacSHA256 unavailable", e);
                    }
                });
        boolean nativeSha256 = nativeIds && idHash == IdHash.SHA256;
        this.nativeSha = nativeSha256 ? ThreadLocal.withInitial(NativeSha256::new) : null;
        this.nativeGcm = nativeIds && enc != null && NativeAesGcm.available()
                ? ThreadLocal.withInitial(() -> new NativeAesGcm(enc))
                : null;
        if (nativeSha256 && id != null) {
            innerStart = keyBlockState(id, (byte) 0x36);
            outerStart = keyBlockState(id, (byte) 0x5c);
        } else {
            innerStart = outerStart = null;
        }
    }

    /** SHA-256 state after absorbing the 64-byte block {@code (key || zeros) xor pad} (RFC 2104). */
    private static MemorySegment keyBlockState(byte[] key, byte pad) {
        if (key.length > HMAC_BLOCK)
            throw new IllegalArgumentException("id key longer than one SHA-256 block: " + key.length);
        byte[] block = new byte[HMAC_BLOCK];
        for (int i = 0; i < HMAC_BLOCK; i++) block[i] = (byte) ((i < key.length ? key[i] : 0) ^ pad);
        NativeSha256 h = new NativeSha256();
        h.update(block, 0, HMAC_BLOCK);
        Arrays.fill(block, (byte) 0);
        MemorySegment state = NativeSha256.newState();
        h.save(state);
        h.reset();
        return state;
    }

    private static final int HMAC_BLOCK = 64;

    /** Unencrypted, SHA-256 ids (format versions 1 and 2). */
    static Crypto none() {
        return none(NativeSha256.enabled());
    }

    /** As {@link #none()}, with native ids forced on or off (tests; {@code true} requires {@link NativeSha256#available()}). */
    static Crypto none(boolean nativeIds) {
        return new Crypto(null, null, IdHash.SHA256, nativeIds);
    }

    /** Unencrypted with ids by {@code idHash}, native where available. */
    static Crypto none(IdHash idHash) {
        return of(idHash, null, nativeDefault(idHash));
    }

    /** {@code masterKey} is 64 bytes: 32 for AES-256-GCM, 32 for the HMAC id key; SHA-256 ids. */
    static Crypto aes(byte[] masterKey) {
        return aes(masterKey, NativeSha256.enabled());
    }

    /** As {@link #aes(byte[])}, with native ids forced on or off. */
    static Crypto aes(byte[] masterKey, boolean nativeIds) {
        return of(IdHash.SHA256, masterKey, nativeIds);
    }

    /** Encrypted with ids by {@code idHash} (keyed with the master key's second half), native where available. */
    static Crypto aes(byte[] masterKey, IdHash idHash) {
        return of(idHash, masterKey, nativeDefault(idHash));
    }

    /**
     * The general case: {@code masterKey} null for an unencrypted repository; {@code nativeIds}
     * false forces the Java hash (tests compare the two), true the native one (SHA-256: libcrypto
     * must be available; BLAKE3: where the library loaded, Java otherwise). AES-GCM is native when
     * {@code nativeIds} is true and libcrypto has it.
     */
    static Crypto of(IdHash idHash, byte[] masterKey, boolean nativeIds) {
        if (masterKey == null) return new Crypto(null, null, idHash, nativeIds);
        return new Crypto(
                Arrays.copyOfRange(masterKey, 0, 32), Arrays.copyOfRange(masterKey, 32, 64), idHash, nativeIds);
    }

    private static boolean nativeDefault(IdHash h) {
        return h == IdHash.BLAKE3 ? NativeBlake3.enabled() || NativeSha256.enabled() : NativeSha256.enabled();
    }

    IdHash idHash() {
        return idHash;
    }

    boolean encrypted() {
        return encKey != null;
    }

    /** True when {@link #id} runs in native code (libcrypto's SHA-256, or the BLAKE3 library) rather than in Java. */
    boolean nativeIds() {
        return nativeSha != null || nativeBlake3;
    }

    /** True when chunk segments are sealed and opened by libcrypto rather than the JDK. */
    boolean nativeGcm() {
        return nativeGcm != null;
    }

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    static byte[] sha256(byte[] b, int off, int len) {
        MessageDigest d = newDigest();
        d.update(b, off, len);
        return d.digest();
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    /**
     * Hashes are fed in 8 KiB slices: HotSpot uses the SHA-256 instructions only once the
     * update path is compiled, and that happens after thousands of calls, not after a few
     * hundred 1 MiB calls.
     */
    static final int SLICE = 8 << 10;

    ChunkId id(byte[] buf, int off, int len) {
        if (idHash == IdHash.BLAKE3) {
            byte[] out = new byte[ChunkId.LENGTH];
            if (nativeBlake3) NativeBlake3.hash(blake3Key, buf, off, len, out, 0);
            else Blake3.hash(blake3KeyWords, buf, off, len, out, 0);
            return new ChunkId(out);
        }
        if (nativeSha != null) return nativeId(buf, off, len);
        if (mac == null) {
            MessageDigest d = sha.get();
            for (int p = 0; p < len; p += SLICE) d.update(buf, off + p, Math.min(SLICE, len - p));
            return new ChunkId(d.digest());
        }
        Mac m = mac.get();
        for (int p = 0; p < len; p += SLICE) m.update(buf, off + p, Math.min(SLICE, len - p));
        return new ChunkId(m.doFinal());
    }

    private ChunkId nativeId(byte[] buf, int off, int len) {
        NativeSha256 h = nativeSha.get();
        byte[] out = new byte[ChunkId.LENGTH];
        if (innerStart == null) {
            h.reset();
            h.update(buf, off, len);
            h.digest(out, 0);
            return new ChunkId(out);
        }
        h.restore(innerStart);
        h.update(buf, off, len);
        h.digest(out, 0);
        h.restore(outerStart);
        h.update(out, 0, out.length);
        h.digest(out, 0);
        return new ChunkId(out);
    }

    /** Encrypts {@code plain[off, off+len)} with associated data {@code aad}. Only when {@link #encrypted()}. */
    byte[] seal(byte[] plain, int off, int len, byte[] aad) {
        return seal(encKey, cipher.get(), plain, off, len, aad);
    }

    /** Decrypts and authenticates; CORRUPT when the tag does not match. */
    byte[] open(byte[] sealed, int off, int len, byte[] aad, String what) throws RepositoryException {
        return open(encKey, cipher.get(), sealed, off, len, aad, what);
    }

    static byte[] seal(SecretKeySpec key, Cipher c, byte[] plain, int off, int len, byte[] aad) {
        byte[] out = new byte[NONCE + len + TAG];
        byte[] nonce = random(NONCE);
        System.arraycopy(nonce, 0, out, 0, NONCE);
        try {
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce));
            if (aad != null) c.updateAAD(aad);
            c.doFinal(plain, off, len, out, NONCE);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed", e);
        }
        return out;
    }

    static byte[] open(SecretKeySpec key, Cipher c, byte[] sealed, int off, int len, byte[] aad, String what)
            throws RepositoryException {
        if (len < OVERHEAD)
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT,
                    what + ": " + len + " bytes is too short for an encrypted record (min " + OVERHEAD + ")");
        try {
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG * 8, sealed, off, NONCE));
            if (aad != null) c.updateAAD(aad);
            return c.doFinal(sealed, off + NONCE, len - NONCE);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT,
                    what + ": authentication failed (data damaged or not from this repository)",
                    e);
        } catch (GeneralSecurityException e) {
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT, what + ": cannot decrypt: " + e.getMessage(), e);
        }
    }

    /** Plaintext bytes per segment of a sealed chunk. */
    static final int SEGMENT = 64 << 10;

    /** Bytes of {@link #sealSegmented} output for {@code len} plaintext bytes. */
    static int segmentedLength(int len) {
        int segments = Math.max(1, (len + SEGMENT - 1) / SEGMENT);
        return NONCE + len + segments * TAG;
    }

    /**
     * Seals a chunk as a STREAM of 64 KiB AES-256-GCM segments: {@code baseNonce(12) || seg0 ||
     * seg1 ...}, each {@code ciphertext || tag(16)}. Segment {@code i} uses the base nonce with
     * its last four bytes XORed with {@code i}, and the top bit of byte 7 set on the last
     * segment, so segments cannot be reordered, dropped or truncated. Segments keep every
     * GCM call short, which is what lets the JIT use the AES-GCM intrinsics early.
     */
    byte[] sealSegmented(byte[] plain, int off, int len, byte[] aad) {
        byte[] out = new byte[segmentedLength(len)];
        sealSegmented(plain, off, len, aad, out);
        return out;
    }

    /** As {@link #sealSegmented(byte[], int, int, byte[])} into {@code out} (at least {@link #segmentedLength} bytes). */
    void sealSegmented(byte[] plain, int off, int len, byte[] aad, byte[] out) {
        sealSegmented(plain, off, len, aad, out, random(NONCE));
    }

    /** As {@link #sealSegmented(byte[], int, int, byte[], byte[])} with a given base nonce (tests compare the two implementations). */
    void sealSegmented(byte[] plain, int off, int len, byte[] aad, byte[] out, byte[] base) {
        System.arraycopy(base, 0, out, 0, NONCE);
        int segments = Math.max(1, (len + SEGMENT - 1) / SEGMENT);
        int o = NONCE;
        if (nativeGcm != null) {
            NativeAesGcm g = nativeGcm.get();
            for (int i = 0; i < segments; i++) {
                int n = Math.min(SEGMENT, len - i * SEGMENT);
                o += g.seal(segmentNonce(base, 0, i, i == segments - 1), aad, plain, off + i * SEGMENT, n, out, o);
            }
            return;
        }
        Cipher c = cipher.get();
        try {
            for (int i = 0; i < segments; i++) {
                int n = Math.min(SEGMENT, len - i * SEGMENT);
                c.init(
                        Cipher.ENCRYPT_MODE,
                        encKey,
                        new GCMParameterSpec(TAG * 8, segmentNonce(base, 0, i, i == segments - 1)));
                if (aad != null) c.updateAAD(aad);
                o += c.doFinal(plain, off + i * SEGMENT, n, out, o);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed", e);
        }
    }

    /** Opens {@link #sealSegmented} output into {@code dst} (length {@code plainLen}); CORRUPT on any mismatch. */
    void openSegmented(byte[] sealed, int off, int len, byte[] aad, byte[] dst, int plainLen, String what)
            throws RepositoryException {
        if (len != segmentedLength(plainLen))
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT,
                    what + ": sealed length " + len + " does not match " + plainLen + " plaintext bytes");
        int segments = Math.max(1, (plainLen + SEGMENT - 1) / SEGMENT);
        int o = off + NONCE;
        if (nativeGcm != null) {
            NativeAesGcm g = nativeGcm.get();
            for (int i = 0; i < segments; i++) {
                int n = Math.min(SEGMENT, plainLen - i * SEGMENT);
                if (!g.open(segmentNonce(sealed, off, i, i == segments - 1), aad, sealed, o, n + TAG, dst, i * SEGMENT))
                    throw new RepositoryException(
                            RepositoryException.Code.CORRUPT,
                            what + ": authentication failed (data damaged or not from this repository)");
                o += n + TAG;
            }
            return;
        }
        Cipher c = cipher.get();
        try {
            for (int i = 0; i < segments; i++) {
                int n = Math.min(SEGMENT, plainLen - i * SEGMENT);
                c.init(
                        Cipher.DECRYPT_MODE,
                        encKey,
                        new GCMParameterSpec(TAG * 8, segmentNonce(sealed, off, i, i == segments - 1)));
                if (aad != null) c.updateAAD(aad);
                c.doFinal(sealed, o, n + TAG, dst, i * SEGMENT);
                o += n + TAG;
            }
        } catch (javax.crypto.AEADBadTagException e) {
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT,
                    what + ": authentication failed (data damaged or not from this repository)",
                    e);
        } catch (GeneralSecurityException e) {
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT, what + ": cannot decrypt: " + e.getMessage(), e);
        }
    }

    private static byte[] segmentNonce(byte[] base, int off, int i, boolean last) {
        byte[] n = java.util.Arrays.copyOfRange(base, off, off + NONCE);
        n[8] ^= (byte) (i >>> 24);
        n[9] ^= (byte) (i >>> 16);
        n[10] ^= (byte) (i >>> 8);
        n[11] ^= (byte) i;
        if (last) n[7] ^= (byte) 0x80;
        return n;
    }

    static byte[] aad(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
