package dev.stillpoint.repository;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;

/** Reads one image snapshot. Every chunk is verified (hash, and AEAD tag when encrypted). */
public interface ImageReader extends AutoCloseable {

    long size();

    /** Ranges that hold data (everything else reads as zeros), ascending, coalesced. */
    List<Extent> allocated();

    /** Fills {@code dst} from {@code offset}; throws {@link RepositoryException} (CORRUPT) on damage, never returns wrong data. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /** Writes the whole image to {@code target} as a sparse file (holes stay holes). */
    void restoreTo(FileChannel target, ProgressListener progress) throws IOException;

    /**
     * As {@link #restoreTo(FileChannel, ProgressListener)}, where {@code target} is open on
     * {@code file}: the data may be written through a second descriptor on {@code file} with
     * {@code O_DIRECT} (no page-cache copy of the whole image) when its filesystem allows it.
     * {@code file} null writes through {@code target} only (for a file read again right away).
     */
    default void restoreTo(java.nio.file.Path file, FileChannel target, ProgressListener progress) throws IOException {
        restoreTo(target, progress);
    }

    @Override
    void close() throws IOException;

    /** A byte range. */
    record Extent(long offset, long length) {}
}
