package dev.stillpoint.qemu.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * What {@link NbdServer} serves under one export name: a read-only byte range. Implementations
 * must be thread-safe: the server calls them from several workers at once (requests in flight on
 * one connection, and several connections).
 */
public interface NbdExportSource {

    /** Size in bytes; constant while served. */
    long size();

    /**
     * Fills {@code dst} (all of its remaining bytes) from {@code offset}. The server checks the
     * range against {@link #size()} before calling. An exception becomes an {@code EIO} reply to
     * that one request; the connection and the export stay up.
     */
    void read(long offset, ByteBuffer dst) throws IOException;

    /**
     * {@code base:allocation} extents from {@code offset}: the first starts at {@code offset}, they
     * are contiguous, and they may cover less than {@code length} (the client asks again from the
     * end of the last one) but not more. Flags are {@link BlockExtent#STATE_HOLE} and
     * {@link BlockExtent#STATE_ZERO}. The default reports the whole range as data.
     */
    default List<BlockExtent> blockStatus(long offset, long length) throws IOException {
        return List.of(new BlockExtent(offset, length, 0));
    }

    /** Preferred request size, a power of two from 512 to 32 MiB (sent in {@code NBD_INFO_BLOCK_SIZE}). */
    default int preferredBlockSize() {
        return 4096;
    }
}
