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

    /**
     * Size of the chunks the image is stored in: chunk {@code i} covers
     * {@code [i * chunkSize, min(size, (i + 1) * chunkSize))}, and {@link #allocated()} ranges
     * start and end on chunk boundaries (or the image end). The default suits readers without a
     * chunk map (1 MiB).
     */
    default int chunkSize() {
        return 1 << 20;
    }

    /**
     * Fills {@code dst[0, chunk length)} with chunk {@code index} (zeroes for a hole), verified as
     * {@link #read} is. Unlike {@link #read}, safe to call from several threads at once with no
     * lock held between them (each call decodes its chunk itself): the way to read an image in
     * parallel. {@code dst} must hold at least {@link #chunkSize()} bytes.
     */
    default void readChunk(long index, byte[] dst) throws IOException {
        long offset = index * chunkSize();
        if (index < 0 || offset >= size())
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "chunk " + index + " is outside the image (size " + size() + ", chunk size " + chunkSize() + ")");
        synchronized (this) {
            read(offset, ByteBuffer.wrap(dst, 0, (int) Math.min(chunkSize(), size() - offset)));
        }
    }

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

    /**
     * Writes the whole image to {@code out} front to back, zeros included: for targets that cannot
     * seek or keep holes (a pipe, stdout, a device). Progress counts allocated (non-hole) bytes.
     */
    default void streamTo(java.nio.channels.WritableByteChannel out, ProgressListener progress) throws IOException {
        ProgressListener p = progress == null ? ProgressListener.NONE : progress;
        long total = 0;
        for (Extent e : allocated()) total += e.length();
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        for (long pos = 0; pos < size(); ) {
            buf.clear().limit((int) Math.min(buf.capacity(), size() - pos));
            read(pos, buf);
            buf.flip();
            pos += buf.remaining();
            while (buf.hasRemaining()) out.write(buf);
        }
        p.progress(total, total);
    }

    @Override
    void close() throws IOException;

    /** A byte range. */
    record Extent(long offset, long length) {}
}
