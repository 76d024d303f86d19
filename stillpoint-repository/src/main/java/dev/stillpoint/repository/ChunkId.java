package dev.stillpoint.repository;

import java.util.Arrays;

/** A 32-byte chunk id (keyed hash of the plaintext). Immutable. */
final class ChunkId {
    static final int LENGTH = 32;
    private final byte[] bytes;
    private final int hash;

    ChunkId(byte[] bytes) {
        if (bytes.length != LENGTH) throw new IllegalArgumentException("chunk id must be 32 bytes, got " + bytes.length);
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    static ChunkId read(byte[] src, int off) { return new ChunkId(Arrays.copyOfRange(src, off, off + LENGTH)); }

    byte[] bytes() { return bytes.clone(); }

    void copyTo(byte[] dst, int off) { System.arraycopy(bytes, 0, dst, off, LENGTH); }

    /** The all-zero id marks a hole in manifests; no real chunk has it. */
    boolean isZero() {
        for (byte b : bytes) if (b != 0) return false;
        return true;
    }

    String hex() { return Hex.of(bytes); }

    @Override public boolean equals(Object o) { return o instanceof ChunkId c && c.hash == hash && Arrays.equals(c.bytes, bytes); }

    @Override public int hashCode() { return hash; }

    @Override public String toString() { return hex(); }
}
