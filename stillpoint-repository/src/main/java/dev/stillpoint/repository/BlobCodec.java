package dev.stillpoint.repository;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;

/**
 * Encoding of one chunk inside a pack. Plain form: {@code type(1) || data}, type 0 = stored,
 * 1 = zstd (kept only when it shrinks the data by 1/64; chunks that {@link Compressibility} judges
 * random are stored without trying zstd). Encrypted repositories seal the plain form
 * as a stream of 64 KiB AES-256-GCM segments ({@link Crypto#sealSegmented}) with the chunk id as
 * associated data (a blob cannot be swapped for another).
 * Decoding always re-hashes the plaintext and compares it with the id.
 */
final class BlobCodec {
    static final byte STORED = 0;
    static final byte ZSTD = 1;

    private BlobCodec() {}

    /** Scratch buffers per worker thread (bounded: one per thread). */
    private static final ThreadLocal<byte[][]> SCRATCH = new ThreadLocal<>();

    private static final ThreadLocal<Compressor> COMPRESSOR = new ThreadLocal<>();
    /** Frees a thread's zstd context once the thread has ended (zstd-jni has no finalizer; workers come and go per repository). */
    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();

    /**
     * A zstd context for one level, reused by its thread. Level 2 runs with {@code minMatch} 7,
     * zstd's level-1 value (its window and hash table stay level 2's): matches shorter than 7
     * bytes are not searched for. On the 4 GiB bench image the full backup took 4.25-4.58 s
     * instead of 4.60-4.73 s (SHA-256 ids, alternating runs) and stored 1324 instead of 1313 MiB.
     * Other levels are zstd's own.
     */
    private record Compressor(int level, ZstdCompressCtx ctx) {
        static ZstdCompressCtx forLevel(int level) {
            Compressor c = COMPRESSOR.get();
            if (c == null || c.level != level) {
                if (c != null) c.ctx.close();
                ZstdCompressCtx ctx = new ZstdCompressCtx().setLevel(level);
                if (level == 2) ctx.setMinMatch(7);
                c = new Compressor(level, ctx);
                CLEANER.register(c, ctx::close); // c is reachable only from this thread's map; close is idempotent
                COMPRESSOR.set(c);
            }
            return c.ctx;
        }
    }

    /** An encoded blob: {@code bytes[0, length)}; {@code bytes} is a per-thread buffer, valid until the next encode on this thread. */
    record Encoded(byte[] bytes, int length) {}

    static byte[] encode(Crypto crypto, ChunkId id, byte[] raw, int len, int level) {
        Encoded e = encodeScratch(crypto, id, raw, len, level);
        return java.util.Arrays.copyOf(e.bytes(), e.length());
    }

    /** Encodes into per-thread buffers (no garbage per chunk); copy or consume before the next call. */
    static Encoded encodeScratch(Crypto crypto, ChunkId id, byte[] raw, int len, int level) {
        byte[][] s = SCRATCH.get();
        int bound = (int) Zstd.compressBound(len) + 1;
        if (s == null || s[0].length < bound) {
            s = new byte[][] {new byte[bound], new byte[Crypto.segmentedLength(bound)]};
            SCRATCH.set(s);
        }
        byte[] plain = s[0];
        long n = Compressibility.worthCompressing(raw, 0, len)
                ? Compressor.forLevel(level).compressByteArray(plain, 1, plain.length - 1, raw, 0, len)
                : -1;
        int plainLen;
        if (n >= 0 && !Zstd.isError(n) && n < len - len / 64) {
            plain[0] = ZSTD;
            plainLen = 1 + (int) n;
        } else {
            plain[0] = STORED;
            System.arraycopy(raw, 0, plain, 1, len);
            plainLen = 1 + len;
        }
        if (crypto.encrypted()) {
            crypto.sealSegmented(plain, 0, plainLen, id.bytes(), s[1]);
            return new Encoded(s[1], Crypto.segmentedLength(plainLen));
        }
        return new Encoded(plain, plainLen);
    }

    /** Returns the verified plaintext, or throws CORRUPT naming the chunk. */
    static byte[] decode(Crypto crypto, ChunkId id, byte[] stored, int off, int len, int rawLen)
            throws RepositoryException {
        byte[] raw = new byte[rawLen];
        decode(crypto, id, stored, off, len, rawLen, null, raw);
        return raw;
    }

    /** Decodes into {@code raw[0, rawLen)} (a per-thread buffer holds the decrypted form); throws CORRUPT naming the chunk. */
    static void decodeInto(Crypto crypto, ChunkId id, byte[] stored, int off, int len, int rawLen, byte[] raw)
            throws RepositoryException {
        decode(crypto, id, stored, off, len, rawLen, scratch(len, 0)[0], raw);
    }

    /** Per-thread plaintext and output buffers of {@link #decodeInto} and {@link #verify} (bounded: one pair per thread). */
    private static final ThreadLocal<byte[][]> SCRATCH_PAIR =
            ThreadLocal.withInitial(() -> new byte[][] {new byte[0], new byte[0]});

    /** This thread's pair, grown to hold {@code plainLen} and {@code rawLen} bytes. */
    private static byte[][] scratch(int plainLen, int rawLen) {
        byte[][] s = SCRATCH_PAIR.get();
        if (s[0].length < plainLen) s[0] = new byte[plainLen];
        if (s[1].length < rawLen) s[1] = new byte[rawLen];
        return s;
    }

    /**
     * Checks a blob exactly as {@link #decode} does (decrypt, decompress, re-hash) without keeping
     * the plaintext: per-thread buffers, no garbage per chunk. Throws CORRUPT naming the chunk.
     */
    static void verify(Crypto crypto, ChunkId id, byte[] stored, int off, int len, int rawLen)
            throws RepositoryException {
        byte[][] s = scratch(len, rawLen);
        decode(crypto, id, stored, off, len, rawLen, s[0], s[1]);
    }

    /**
     * Decodes into {@code raw[0, rawLen)}; {@code plainScratch} (may be null) holds the decrypted
     * form when it is large enough.
     */
    private static void decode(
            Crypto crypto, ChunkId id, byte[] stored, int off, int len, int rawLen, byte[] plainScratch, byte[] raw)
            throws RepositoryException {
        String what = "chunk " + id.hex();
        byte[] plain;
        int poff, plen;
        if (crypto.encrypted()) {
            plen = len
                    - Crypto.NONCE
                    - Crypto.TAG
                            * Math.max(
                                    1,
                                    (len - Crypto.NONCE + Crypto.SEGMENT + Crypto.TAG - 1)
                                            / (Crypto.SEGMENT + Crypto.TAG));
            if (plen < 1 || Crypto.segmentedLength(plen) != len)
                throw FileCodec.corrupt(what, "sealed length " + len + " is impossible (truncated?)");
            plain = plainScratch != null && plainScratch.length >= plen ? plainScratch : new byte[plen];
            crypto.openSegmented(stored, off, len, id.bytes(), plain, plen, what);
            poff = 0;
        } else {
            plain = stored;
            poff = off;
            plen = len;
        }
        if (plen < 1) throw FileCodec.corrupt(what, "empty blob");
        if (plain[poff] == STORED) {
            if (plen - 1 != rawLen)
                throw FileCodec.corrupt(what, "stored length " + (plen - 1) + " != expected " + rawLen);
            System.arraycopy(plain, poff + 1, raw, 0, rawLen);
        } else if (plain[poff] == ZSTD) {
            long n;
            try {
                n = Zstd.decompressByteArray(raw, 0, rawLen, plain, poff + 1, plen - 1);
            } catch (RuntimeException e) {
                throw new RepositoryException(
                        RepositoryException.Code.CORRUPT, what + ": cannot decompress: " + e.getMessage(), e);
            }
            if (Zstd.isError(n) || n != rawLen)
                throw FileCodec.corrupt(what, "cannot decompress (got " + n + " of " + rawLen + " bytes)");
        } else {
            throw FileCodec.corrupt(what, "unknown blob type " + plain[poff]);
        }
        if (!crypto.id(raw, 0, rawLen).equals(id))
            throw FileCodec.corrupt(what, "content does not match its id (hash mismatch)");
    }
}
