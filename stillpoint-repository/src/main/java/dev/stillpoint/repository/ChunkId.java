package dev.stillpoint.repository;

import java.util.Arrays;

/** A 32-byte chunk id (keyed hash of the plaintext). Immutable. */
final class ChunkId {
    static final int LENGTH = 32;
    private final byte[] bytes;
    private final int hash;

    ChunkId(byte[] bytes) {
        if (bytes.length != LENGTH)
            throw new IllegalArgumentException("chunk id must be 32 bytes, got " + bytes.length);
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    static ChunkId read(byte[] src, int off) {
        return new ChunkId(Arrays.copyOfRange(src, off, off + LENGTH));
    }

    byte[] bytes() {
        return bytes.clone();
    }

    void copyTo(byte[] dst, int off) {
        System.arraycopy(bytes, 0, dst, off, LENGTH);
    }

    /** The all-zero id marks a hole in manifests; no real chunk has it. */
    boolean isZero() {
        for (byte b : bytes) if (b != 0) return false;
        return true;
    }

    String hex() {
        return Hex.of(bytes);
    }

    /** True when {@code src[off, off+32)} holds this id (no copy). */
    boolean matches(byte[] src, int off) {
        return Arrays.equals(bytes, 0, LENGTH, src, off, off + LENGTH);
    }

    /** The first 8 bytes as a long: ids are uniformly distributed, so this is a good table hash. */
    long prefix() {
        return prefix(bytes, 0);
    }

    /** {@link #prefix()} of the id stored at {@code src[off, off+32)}. */
    static long prefix(byte[] src, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (src[off + i] & 0xff);
        return v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkId c && c.hash == hash && Arrays.equals(c.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return hex();
    }
}
