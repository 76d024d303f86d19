package dev.stillpoint.repository;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * BLAKE3 (<a href="https://github.com/BLAKE3-team/BLAKE3-specs">specification</a>) in pure Java:
 * the plain hash and the keyed hash, 32-byte output, one-shot over an input held in memory.
 * Chunk ids of version-3 repositories are BLAKE3 hashes (keyed in encrypted ones); {@code NativeBlake3}
 * (the C library through FFM) gives the same bytes faster and this class is its fallback.
 *
 * <p>The input is split into 1024-byte chunks of 64-byte blocks; each chunk gives a chaining
 * value (counter = chunk index, CHUNK_START on its first block, CHUNK_END on its last), and
 * the chaining values are merged pairwise into a left-complete binary tree of PARENT nodes
 * (counter 0). Merging follows the reference implementation: after each chunk except the
 * last, the chaining value is pushed and the two topmost entries are merged as long as the
 * number of chunks so far has a trailing zero bit; the last chunk's value is then merged
 * with the stack from right to left. ROOT is set on the one compression whose output is the
 * hash: the single chunk's last block, or else the final parent. KEYED_HASH is set on every
 * compression of the keyed mode, whose key replaces the IV as the initial chaining value.
 */
final class Blake3 {
    static final int KEY_LENGTH = 32, OUT_LENGTH = 32;
    static final int CHUNK_START = 1, CHUNK_END = 2, PARENT = 4, ROOT = 8, KEYED_HASH = 16;
    static final int BLOCK_LEN = 64, CHUNK_LEN = 1024;
    /** 2^54 chunks of 1 KiB is the 2^64-byte limit: at most 54 stacked values plus the current one. */
    private static final int MAX_DEPTH = 54;

    private static final int IV0 = 0x6A09E667,
            IV1 = 0xBB67AE85,
            IV2 = 0x3C6EF372,
            IV3 = 0xA54FF53A,
            IV4 = 0x510E527F,
            IV5 = 0x9B05688C,
            IV6 = 0x1F83D9AB,
            IV7 = 0x5BE0CD19;
    private static final int[] IV = {IV0, IV1, IV2, IV3, IV4, IV5, IV6, IV7};
    private static final VarHandle LE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private Blake3() {}

    /** The 8 little-endian words of a 32-byte key, as {@link #hash} takes them. */
    static int[] keyWords(byte[] key32) {
        if (key32 == null || key32.length != KEY_LENGTH)
            throw new IllegalArgumentException("BLAKE3 key: length " + (key32 == null ? "null" : key32.length)
                    + ", must be " + KEY_LENGTH + " bytes");
        int[] w = new int[8];
        for (int i = 0; i < 8; i++) w[i] = (int) LE_INT.get(key32, 4 * i);
        return w;
    }

    /**
     * Writes the 32-byte BLAKE3 hash of {@code in[off, off + len)} to {@code out[outOff, outOff + 32)}:
     * the plain hash when {@code keyWords} is null, else the keyed hash under those 8 key words.
     */
    static void hash(int[] keyWords, byte[] in, int off, int len, byte[] out, int outOff) {
        Objects.checkFromIndexSize(off, len, in.length);
        Objects.checkFromIndexSize(outOff, OUT_LENGTH, out.length);
        if (keyWords != null && keyWords.length != 8)
            throw new IllegalArgumentException("BLAKE3 key words: length " + keyWords.length + ", must be 8");
        int[] key = keyWords == null ? IV : keyWords;
        int base = keyWords == null ? 0 : KEYED_HASH;
        // stack of chaining values, 8 words each; the current chunk's value sits right above the top,
        // so a parent's 64-byte block (left value, right value) is 16 consecutive words
        int[] st = new int[(MAX_DEPTH + 1) * 8];
        long chunks = len == 0 ? 1 : (len + (long) CHUNK_LEN - 1) / CHUNK_LEN;
        int sp = 0; // entries on the stack
        for (long c = 0; c < chunks - 1; c++) {
            chunk(key, base, in, off + (int) c * CHUNK_LEN, CHUNK_LEN, c, false, st, sp * 8);
            sp++;
            for (long total = c + 1; (total & 1) == 0; total >>>= 1) {
                sp--;
                parent(key, base, st, (sp - 1) * 8, false);
            }
        }
        long last = chunks - 1;
        chunk(key, base, in, off + (int) last * CHUNK_LEN, len - (int) last * CHUNK_LEN, last, chunks == 1, st, sp * 8);
        while (sp > 0) {
            sp--;
            parent(key, base, st, sp * 8, sp == 0);
        }
        for (int i = 0; i < 8; i++) LE_INT.set(out, outOff + 4 * i, st[i]);
    }

    /** Chaining value of one chunk (1..1024 bytes, or 0 for the empty input) into {@code st[at, at + 8)}. */
    private static void chunk(
            int[] key, int base, byte[] in, int off, int len, long counter, boolean root, int[] st, int at) {
        System.arraycopy(key, 0, st, at, 8);
        int blocks = len == 0 ? 1 : (len + BLOCK_LEN - 1) / BLOCK_LEN;
        for (int b = 0; b < blocks; b++) {
            int flags = base;
            if (b == 0) flags |= CHUNK_START;
            boolean lastBlock = b == blocks - 1;
            if (lastBlock) flags |= root ? CHUNK_END | ROOT : CHUNK_END;
            int pos = off + b * BLOCK_LEN;
            int blockLen = Math.min(BLOCK_LEN, len - b * BLOCK_LEN);
            byte[] src = in;
            if (blockLen < BLOCK_LEN) { // only the input's final block: zero-padded copy
                src = new byte[BLOCK_LEN];
                System.arraycopy(in, pos, src, 0, blockLen);
                pos = 0;
            }
            compress(
                    st,
                    at,
                    counter,
                    blockLen,
                    flags,
                    (int) LE_INT.get(src, pos),
                    (int) LE_INT.get(src, pos + 4),
                    (int) LE_INT.get(src, pos + 8),
                    (int) LE_INT.get(src, pos + 12),
                    (int) LE_INT.get(src, pos + 16),
                    (int) LE_INT.get(src, pos + 20),
                    (int) LE_INT.get(src, pos + 24),
                    (int) LE_INT.get(src, pos + 28),
                    (int) LE_INT.get(src, pos + 32),
                    (int) LE_INT.get(src, pos + 36),
                    (int) LE_INT.get(src, pos + 40),
                    (int) LE_INT.get(src, pos + 44),
                    (int) LE_INT.get(src, pos + 48),
                    (int) LE_INT.get(src, pos + 52),
                    (int) LE_INT.get(src, pos + 56),
                    (int) LE_INT.get(src, pos + 60),
                    st,
                    at);
        }
    }

    /** Parent of the values at {@code st[at, at + 8)} and {@code st[at + 8, at + 16)}, written over the left one. */
    private static void parent(int[] key, int base, int[] st, int at, boolean root) {
        compress(
                key,
                0,
                0,
                BLOCK_LEN,
                base | PARENT | (root ? ROOT : 0),
                st[at],
                st[at + 1],
                st[at + 2],
                st[at + 3],
                st[at + 4],
                st[at + 5],
                st[at + 6],
                st[at + 7],
                st[at + 8],
                st[at + 9],
                st[at + 10],
                st[at + 11],
                st[at + 12],
                st[at + 13],
                st[at + 14],
                st[at + 15],
                st,
                at);
    }

    /**
     * The compression function, truncated to its first 8 output words (the chaining value, and
     * the 32-byte hash of a ROOT compression): input chaining value {@code cv[cvOff, cvOff + 8)},
     * message words m0..m15, output to {@code out[outOff, outOff + 8)} (may be the input).
     */
    private static void compress(
            int[] cv,
            int cvOff,
            long counter,
            int blockLen,
            int flags,
            int m0,
            int m1,
            int m2,
            int m3,
            int m4,
            int m5,
            int m6,
            int m7,
            int m8,
            int m9,
            int m10,
            int m11,
            int m12,
            int m13,
            int m14,
            int m15,
            int[] out,
            int outOff) {
        int v0 = cv[cvOff], v1 = cv[cvOff + 1], v2 = cv[cvOff + 2], v3 = cv[cvOff + 3];
        int v4 = cv[cvOff + 4], v5 = cv[cvOff + 5], v6 = cv[cvOff + 6], v7 = cv[cvOff + 7];
        int v8 = IV0, v9 = IV1, v10 = IV2, v11 = IV3;
        int v12 = (int) counter, v13 = (int) (counter >>> 32), v14 = blockLen, v15 = flags;
        for (int r = 0; ; r++) {
            // column step, then diagonal step: G(a, b, c, d, mx, my) written out
            v0 += v4 + m0;
            v12 = Integer.rotateRight(v12 ^ v0, 16);
            v8 += v12;
            v4 = Integer.rotateRight(v4 ^ v8, 12);
            v0 += v4 + m1;
            v12 = Integer.rotateRight(v12 ^ v0, 8);
            v8 += v12;
            v4 = Integer.rotateRight(v4 ^ v8, 7);
            v1 += v5 + m2;
            v13 = Integer.rotateRight(v13 ^ v1, 16);
            v9 += v13;
            v5 = Integer.rotateRight(v5 ^ v9, 12);
            v1 += v5 + m3;
            v13 = Integer.rotateRight(v13 ^ v1, 8);
            v9 += v13;
            v5 = Integer.rotateRight(v5 ^ v9, 7);
            v2 += v6 + m4;
            v14 = Integer.rotateRight(v14 ^ v2, 16);
            v10 += v14;
            v6 = Integer.rotateRight(v6 ^ v10, 12);
            v2 += v6 + m5;
            v14 = Integer.rotateRight(v14 ^ v2, 8);
            v10 += v14;
            v6 = Integer.rotateRight(v6 ^ v10, 7);
            v3 += v7 + m6;
            v15 = Integer.rotateRight(v15 ^ v3, 16);
            v11 += v15;
            v7 = Integer.rotateRight(v7 ^ v11, 12);
            v3 += v7 + m7;
            v15 = Integer.rotateRight(v15 ^ v3, 8);
            v11 += v15;
            v7 = Integer.rotateRight(v7 ^ v11, 7);
            v0 += v5 + m8;
            v15 = Integer.rotateRight(v15 ^ v0, 16);
            v10 += v15;
            v5 = Integer.rotateRight(v5 ^ v10, 12);
            v0 += v5 + m9;
            v15 = Integer.rotateRight(v15 ^ v0, 8);
            v10 += v15;
            v5 = Integer.rotateRight(v5 ^ v10, 7);
            v1 += v6 + m10;
            v12 = Integer.rotateRight(v12 ^ v1, 16);
            v11 += v12;
            v6 = Integer.rotateRight(v6 ^ v11, 12);
            v1 += v6 + m11;
            v12 = Integer.rotateRight(v12 ^ v1, 8);
            v11 += v12;
            v6 = Integer.rotateRight(v6 ^ v11, 7);
            v2 += v7 + m12;
            v13 = Integer.rotateRight(v13 ^ v2, 16);
            v8 += v13;
            v7 = Integer.rotateRight(v7 ^ v8, 12);
            v2 += v7 + m13;
            v13 = Integer.rotateRight(v13 ^ v2, 8);
            v8 += v13;
            v7 = Integer.rotateRight(v7 ^ v8, 7);
            v3 += v4 + m14;
            v14 = Integer.rotateRight(v14 ^ v3, 16);
            v9 += v14;
            v4 = Integer.rotateRight(v4 ^ v9, 12);
            v3 += v4 + m15;
            v14 = Integer.rotateRight(v14 ^ v3, 8);
            v9 += v14;
            v4 = Integer.rotateRight(v4 ^ v9, 7);
            if (r == 6) break;
            // message permutation for the next round: m[i] = m[PERMUTATION[i]], PERMUTATION = 2 6 3 10 7 0 4 13 1 11 12
            // 5 9 14 15 8
            int t0 = m2;
            int t1 = m6;
            int t2 = m3;
            int t3 = m10;
            int t4 = m7;
            int t5 = m0;
            int t6 = m4;
            int t7 = m13;
            int t8 = m1;
            int t9 = m11;
            int t10 = m12;
            int t11 = m5;
            int t12 = m9;
            int t13 = m14;
            int t14 = m15;
            int t15 = m8;
            m0 = t0;
            m1 = t1;
            m2 = t2;
            m3 = t3;
            m4 = t4;
            m5 = t5;
            m6 = t6;
            m7 = t7;
            m8 = t8;
            m9 = t9;
            m10 = t10;
            m11 = t11;
            m12 = t12;
            m13 = t13;
            m14 = t14;
            m15 = t15;
        }
        out[outOff] = v0 ^ v8;
        out[outOff + 1] = v1 ^ v9;
        out[outOff + 2] = v2 ^ v10;
        out[outOff + 3] = v3 ^ v11;
        out[outOff + 4] = v4 ^ v12;
        out[outOff + 5] = v5 ^ v13;
        out[outOff + 6] = v6 ^ v14;
        out[outOff + 7] = v7 ^ v15;
    }
}
