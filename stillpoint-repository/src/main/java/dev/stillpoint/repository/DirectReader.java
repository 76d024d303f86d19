package dev.stillpoint.repository;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads a file front to back with {@code O_DIRECT} through one aligned buffer: {@code check
 * --read-data} reads every pack once, and through the page cache that would cost a page
 * allocation and copy per 4 KiB and evict what the host was using (the packs were written
 * around the cache too, {@link DirectWriter}). Reads must not go backwards past the buffered
 * window. {@link #open} returns null where {@code O_DIRECT} is refused or switched off
 * ({@code -Dstillpoint.directIo=false}); callers then read through the page cache. One thread.
 */
final class DirectReader implements AutoCloseable {
    static final int BUFFER = 2 << 20;

    private final FileChannel ch;
    private final int block;
    private final Arena arena = Arena.ofConfined();
    private final ByteBuffer buf;
    /** File offset of {@code buf}'s first byte (block aligned), and how many bytes it holds. */
    private long start;

    private int valid;

    private DirectReader(FileChannel ch, int block) {
        this.ch = ch;
        this.block = block;
        this.buf = arena.allocate(BUFFER, block).asByteBuffer();
    }

    /** Opens {@code file} for direct reads, or returns null where {@link DirectIo#open} refuses it. */
    static DirectReader open(Path file) {
        DirectIo.Channel c = DirectIo.open(file, StandardOpenOption.READ, BUFFER, 0);
        return c == null ? null : new DirectReader(c.channel(), c.block());
    }

    long size() throws IOException {
        return ch.size();
    }

    /** The {@code len} bytes at {@code pos}, or null when the file ends before them. */
    byte[] readFully(long pos, int len) throws IOException {
        if (pos < start) throw new IllegalArgumentException("direct reads go forward: " + pos + " < " + start);
        byte[] out = new byte[len];
        int done = 0;
        while (done < len) {
            long p = pos + done;
            if (p >= start + valid) {
                if (!fill(p)) return null;
                continue;
            }
            int n = (int) Math.min(len - done, start + valid - p);
            buf.get((int) (p - start), out, done, n);
            done += n;
        }
        return out;
    }

    /** Loads the window holding {@code p}; false at end of file. */
    private boolean fill(long p) throws IOException {
        start = p - p % block;
        valid = 0;
        buf.clear();
        while (buf.hasRemaining()) {
            int n = ch.read(buf, start + buf.position());
            if (n <= 0) break; // end of file (a last read may be short of the block size)
            if (buf.position() % block != 0) break; // a short read only happens at the end
        }
        valid = buf.position();
        return p < start + valid;
    }

    @Override
    public void close() throws IOException {
        try {
            ch.close();
        } finally {
            arena.close();
        }
    }
}
