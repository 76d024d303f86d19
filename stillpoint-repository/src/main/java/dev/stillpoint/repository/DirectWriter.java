package dev.stillpoint.repository;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Writes a file front to back with {@code O_DIRECT}, through two aligned staging buffers: the
 * bytes go from a buffer to the device without a page-cache copy, and one buffer is written by
 * a background thread while the caller fills the other, so the caller does not wait for the
 * device. A backup or restore writes gigabytes it will not read again soon; through the page
 * cache every page is first allocated and copied (1–2 s of system time per GB measured on the
 * development VMs, plus the kernel's write-back threads competing with the workers for the
 * CPU), and it evicts what the host was using. Durability is unchanged: {@link #force()} still
 * flushes the device's write cache and the file's metadata.
 *
 * <p>Writes must go forward ({@code at} never below what was written); a gap between two writes
 * is left unwritten (a hole), so gaps must start and end on the block size, which callers get by
 * writing whole chunks (a power of two of at least 4 KiB). {@link #finish} pads the last block
 * with zeros and truncates the file to its real length. Not thread-safe: one writer per file.
 *
 * <p>{@link #open} returns null where the filesystem refuses {@code O_DIRECT} (tmpfs, some
 * network filesystems) or when {@code -Dstillpoint.directIo=false}; callers then write through
 * the page cache as before.
 */
final class DirectWriter implements AutoCloseable {
    /** Size of each of the two staging buffers. */
    static final int BUFFER = 2 << 20;
    /** Background writers, shared by every open DirectWriter (daemon threads, created on demand, reaped when idle). */
    private static final ExecutorService IO = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "stillpoint-direct-io");
        t.setDaemon(true);
        return t;
    });

    private final FileChannel ch;
    private final int block;
    private final Arena arena = Arena.ofShared();
    private final ByteBuffer[] bufs = new ByteBuffer[2];
    /** The buffer being filled ({@code bufs[cur]}); the other may be in flight. */
    private int cur;

    private ByteBuffer buf;
    /** The background write of the other buffer, or null. */
    private Future<?> inFlight;
    /** File offset of {@code buf}'s first byte (block aligned). */
    private long base;

    private boolean closed;

    private DirectWriter(FileChannel ch, int block) {
        this.ch = ch;
        this.block = block;
        for (int i = 0; i < 2; i++) bufs[i] = arena.allocate(BUFFER, block).asByteBuffer();
        buf = bufs[0];
    }

    /**
     * Opens {@code file} (which must exist) for direct writes, or returns null where {@link
     * DirectIo#open} refuses it; {@code alignment} is the granularity of the caller's gaps (0 for none).
     */
    static DirectWriter open(Path file, int alignment) {
        DirectIo.Channel c = DirectIo.open(file, StandardOpenOption.WRITE, BUFFER, alignment);
        return c == null ? null : new DirectWriter(c.channel(), c.block());
    }

    /** Writes {@code b[off, off+len)} at file offset {@code at}, which is at or past the end of what was written. */
    void write(byte[] b, int off, int len, long at) throws IOException {
        long end = base + buf.position();
        if (at != end) {
            if (at < end) throw new IllegalArgumentException("direct writes go forward: " + at + " < " + end);
            drain(true); // the gap stays a hole; the padding written before it is zeros, as the hole reads
            if (at < base || at % block != 0)
                throw new IllegalArgumentException(
                        "a gap must start and end on a " + block + "-byte block: " + end + ".." + at);
            base = at;
        }
        while (len > 0) {
            int n = Math.min(len, buf.remaining());
            buf.put(b, off, n);
            off += n;
            len -= n;
            if (!buf.hasRemaining()) drain(false);
        }
    }

    /** Writes what is staged, waits for it, and cuts the file to {@code length} (bytes past it were padding). */
    void finish(long length) throws IOException {
        drain(true);
        await();
        if (ch.size() > length) ch.truncate(length);
    }

    void force() throws IOException {
        ch.force(true);
    }

    /**
     * Hands the staged bytes to the background writer and switches to the other buffer (after
     * its write is done). A full buffer is written whole; otherwise ({@code all}) the tail is
     * padded with zeros to the block size, and the next write starts after the padding.
     */
    private void drain(boolean all) throws IOException {
        int n = buf.position();
        if (n == 0) return;
        int aligned = all ? (n + block - 1) / block * block : n;
        for (int i = n; i < aligned; i++) buf.put((byte) 0);
        buf.flip();
        await();
        ByteBuffer out = buf;
        long at = base;
        inFlight = IO.submit(() -> {
            long pos = at;
            while (out.hasRemaining()) pos += ch.write(out, pos);
            return null;
        });
        base += aligned;
        cur ^= 1;
        buf = bufs[cur];
        buf.clear();
    }

    /** Waits for the write in flight; rethrows its failure. */
    private void await() throws IOException {
        Future<?> f = inFlight;
        if (f == null) return;
        inFlight = null;
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    f.get();
                    return;
                } catch (InterruptedException e) {
                    interrupted = true; // the buffer is in use until the write returns: never free it early
                }
            }
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            if (t instanceof IOException io) throw io;
            throw new IOException("direct write failed: " + t, t);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while writing");
            }
        }
    }

    /** Waits for the write in flight, closes the channel and frees the buffers; idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        try {
            try {
                await();
            } catch (IOException ignored) {
                /* closing anyway; finish() reports write failures */
            }
        } finally {
            try {
                ch.close();
            } finally {
                arena.close();
            }
        }
    }
}
