package dev.stillpoint.engine.backup;

import dev.stillpoint.qemu.nbd.BlockExtent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A read-only point-in-time view of one disk, as an NBD export offers it, in
 * {@code dev.stillpoint.qemu.nbd}'s vocabulary (meta contexts such as
 * {@link dev.stillpoint.qemu.nbd.NbdClient#BASE_ALLOCATION}, {@link BlockExtent}). The copy
 * reads it through {@link NbdExtentSource} (production: the NBD client; tests: in-memory fakes).
 */
public interface BlockSource extends AutoCloseable {

    /** Virtual size in bytes. */
    long size();

    /** Whether the export negotiated this meta context. */
    boolean hasContext(String context);

    /**
     * Status of {@code [offset, offset+length)} in {@code context}; extents are contiguous from
     * {@code offset}, ascending, and may cover less than asked (callers loop).
     */
    List<BlockExtent> blockStatus(String context, long offset, long length) throws IOException;

    /** Fills {@code dst} (position..limit) from {@code offset}. */
    void read(long offset, ByteBuffer dst) throws IOException;

    @Override
    void close() throws IOException;
}
