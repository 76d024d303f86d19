package dev.stillpoint.repository;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Records one image snapshot. Writes must come in non-decreasing offset order and must not
 * overlap; offsets and lengths need not be chunk-aligned (a partial chunk is completed from
 * the parent snapshot, or with zeros when there is none). Ranges never written are taken from
 * the parent (or are holes). Nothing becomes visible until {@link #commit()} returns.
 */
public interface ImageWriter extends AutoCloseable {

    /** Writes {@code data} (position..limit) at {@code offset} of the image. */
    void write(long offset, ByteBuffer data) throws IOException;

    /** Declares {@code [offset, offset+length)} all-zero (a hole), overriding the parent. */
    void writeZeroes(long offset, long length) throws IOException;

    /** Makes all data durable, then publishes the snapshot manifest atomically. */
    SnapshotInfo commit() throws IOException;

    /** Abandons the snapshot (no-op after commit). Data written so far becomes garbage for prune. */
    @Override
    void close() throws IOException;
}
