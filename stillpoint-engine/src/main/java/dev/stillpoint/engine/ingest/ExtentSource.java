package dev.stillpoint.engine.ingest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Where the bytes of one image come from, extent by extent: which ranges hold data, which read
 * as zeros, which are unchanged since a parent snapshot, and the data itself. {@link Ingest}
 * copies any source into a repository image the same way; implementations: an NBD export
 * ({@code dev.stillpoint.engine.backup.NbdExtentSource}: allocation or a dirty bitmap), a sparse
 * file ({@link SparseFileSource}: {@code SEEK_DATA}/{@code SEEK_HOLE}), a stream of unknown size
 * ({@link StreamSource}: stdin, a pipe, a block device).
 */
public interface ExtentSource extends AutoCloseable {

    /** {@link #size()} of a stream: it ends where {@link #read} first returns no bytes. */
    long UNKNOWN_SIZE = -1;

    /** What the copy does with an extent. */
    enum Kind {
        /** Read and stored (all-zero blocks still become holes). */
        DATA,
        /** Reads as zeros: recorded as a hole without being read. */
        ZERO,
        /** Unchanged since the parent snapshot: neither read nor written (the parent fills it). */
        UNCHANGED
    }

    /** {@code length} bytes at {@code offset}. */
    record Extent(long offset, long length, Kind kind) {
        public long end() {
            return offset + length;
        }
    }

    /** Names the source in messages: {@code domain web1 disk vda}, {@code file /img/x.raw}, {@code stdin}. */
    String describe();

    /** Size in bytes, or {@link #UNKNOWN_SIZE}. */
    long size();

    /**
     * Extents from {@code offset}, contiguous and ascending, covering at most
     * {@code [offset, offset+length)} and at least one byte of it (callers loop). Not called when
     * the size is unknown (a stream is all {@link Kind#DATA}).
     */
    List<Extent> extents(long offset, long length) throws IOException;

    /**
     * Up to {@code length} bytes at {@code offset}: {@code scratch} (a direct buffer of at least
     * {@code length} bytes) filled and flipped, or a read-only view of the source valid until the
     * next call. Fewer bytes than asked (never none) where the source chooses to split a read;
     * none only at the end of the source.
     */
    ByteBuffer read(long offset, int length, ByteBuffer scratch) throws IOException;

    /** Called once after the last read: a source that can tell that it changed meanwhile throws. */
    default void finished() throws IOException {}

    @Override
    void close() throws IOException;
}
