package dev.stillpoint.engine.ingest;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A regular file as an {@link ExtentSource}: holes (as the filesystem reports them, see
 * {@link SparseFile}) are zero extents that are never read; data is read through a memory
 * mapping, one {@link #WINDOW} at a time (unmapped before the next, so RSS stays small). The
 * kernel maps the page cache instead of copying it into a buffer. A file that shrinks while it
 * is read fails the copy.
 */
public final class SparseFileSource implements ExtentSource {

    /** Bytes of the file mapped at a time. */
    static final long WINDOW = 8L << 20;

    private final Path file;
    private final FileChannel channel;
    private final SparseFile regions;
    private final long size;
    private Arena arena;
    private MemorySegment window;
    private long windowStart = -1;

    private SparseFileSource(Path file, FileChannel channel, SparseFile regions, long size) {
        this.file = file;
        this.channel = channel;
        this.regions = regions;
        this.size = size;
    }

    /** Opens {@code file} (a regular file) for reading; its size is taken now. */
    public static SparseFileSource open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = ch.size();
            return new SparseFileSource(file, ch, SparseFile.open(file, size), size);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public String describe() {
        return "file " + file;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public List<Extent> extents(long offset, long length) {
        long end = offset + length;
        long data = regions.nextData(offset);
        if (data > offset) return List.of(new Extent(offset, Math.min(data, end) - offset, Kind.ZERO));
        long hole = regions.nextHole(offset);
        if (hole <= offset) hole = size;
        return List.of(new Extent(offset, Math.min(hole, end) - offset, Kind.DATA));
    }

    /** A view of the mapping; a read never crosses a window, so it may return less than asked. */
    @Override
    public ByteBuffer read(long offset, int length, ByteBuffer scratch) throws IOException {
        if (offset >= size) return scratch.clear().limit(0);
        long start = offset - offset % WINDOW;
        if (start != windowStart) map(start);
        long n = Math.min(length, Math.min(size, start + WINDOW) - offset);
        return window.asSlice(offset - start, n).asByteBuffer();
    }

    /** Maps the window at {@code start}; its arena is closed by {@link #unmap} (next window, finished, close). */
    @SuppressWarnings("MustBeClosedChecker")
    private void map(long start) throws IOException {
        unmap();
        checkSize();
        arena = Arena.ofConfined();
        window = channel.map(FileChannel.MapMode.READ_ONLY, start, Math.min(size, start + WINDOW) - start, arena);
        windowStart = start;
    }

    private void unmap() {
        if (arena != null) arena.close();
        arena = null;
        window = null;
        windowStart = -1;
    }

    private void checkSize() throws IOException {
        long now = channel.size();
        if (now < size) throw new IOException("file shrank from " + size + " to " + now + " bytes while it was read");
    }

    @Override
    public void finished() throws IOException {
        unmap();
        checkSize();
    }

    @Override
    public void close() throws IOException {
        unmap();
        try (channel) {
            regions.close();
        }
    }
}
