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

    @Override
    void close() throws IOException;

    /** A byte range. */
    record Extent(long offset, long length) {}
}
