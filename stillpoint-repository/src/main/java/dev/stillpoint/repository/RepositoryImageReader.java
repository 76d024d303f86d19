package dev.stillpoint.repository;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Reads a snapshot; restores with {@code threads} chunks decoded ahead in parallel. */
final class RepositoryImageReader implements ImageReader {
    private final FileRepository repo;
    private final Manifest m;
    private final LockManager.Held lock;
    private int cachedIndex = -1;
    private byte[] cached;
    private boolean closed;

    RepositoryImageReader(FileRepository repo, Manifest m, LockManager.Held lock) {
        this.repo = repo;
        this.m = m;
        this.lock = lock;
    }

    @Override
    public long size() {
        return m.size;
    }

    @Override
    public List<Extent> allocated() {
        List<Extent> out = new ArrayList<>();
        long start = -1, end = -1;
        for (int c = 0; c < m.count(); c++) {
            if (m.chunk(c) == null) continue;
            long s = (long) c * m.chunkSize, e = s + m.chunkLength(c);
            if (s == end) {
                end = e;
                continue;
            }
            if (start >= 0) out.add(new Extent(start, end - start));
            start = s;
            end = e;
        }
        if (start >= 0) out.add(new Extent(start, end - start));
        return out;
    }

    @Override
    public int chunkSize() {
        return m.chunkSize;
    }

    /** Decodes straight into {@code dst} on the calling thread (the pack channels and buffers are per thread or shared safely). */
    @Override
    public void readChunk(long index, byte[] dst) throws IOException {
        if (closed) throw new IllegalStateException("image reader is closed");
        if (index < 0 || index >= m.count())
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "chunk " + index + " is outside the image (" + m.count() + " chunks)");
        int c = (int) index;
        int len = m.chunkLength(c);
        if (dst.length < m.chunkSize)
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "dst: " + dst.length + " bytes, a chunk needs " + m.chunkSize);
        ChunkId id = m.chunk(c);
        int n = id == null ? 0 : Math.min(len, repo.readChunkInto(id, dst));
        java.util.Arrays.fill(dst, n, len, (byte) 0); // a hole, or a short chunk's rest
    }

    @Override
    public synchronized void read(long offset, ByteBuffer dst) throws IOException {
        if (closed) throw new IllegalStateException("image reader is closed");
        if (offset < 0 || offset + dst.remaining() > m.size)
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "read [" + offset + ", +" + dst.remaining() + ") is outside the image (size " + m.size + ")");
        while (dst.hasRemaining()) {
            int c = (int) (offset / m.chunkSize);
            int within = (int) (offset - (long) c * m.chunkSize);
            int n = Math.min(m.chunkLength(c) - within, dst.remaining());
            ChunkId id = m.chunk(c);
            byte[] data = null;
            if (id != null) {
                if (cachedIndex != c) {
                    cached = repo.readChunk(id);
                    cachedIndex = c;
                }
                data = cached;
            }
            int avail = data == null ? 0 : Math.max(0, Math.min(n, data.length - within));
            if (avail > 0) dst.put(data, within, avail);
            for (int i = avail; i < n; i++) dst.put((byte) 0);
            offset += n;
        }
    }

    /**
     * Truncates {@code target} to zero, writes every non-hole chunk and extends the file to the
     * image size without writing holes (so a regular file stays sparse). Progress counts
     * allocated (non-hole) bytes. The workers read, decrypt, decompress and verify chunks ahead
     * into pooled buffers; this thread writes them in order (one writer: concurrent buffered
     * writes to one file only contend for its inode lock). At most {@code 2 x threads} chunks are
     * in flight. Does not fsync: call {@code target.force(true)} when the restore must be durable.
     */
    @Override
    public void restoreTo(FileChannel target, ProgressListener progress) throws IOException {
        restoreTo(null, target, progress);
    }

    /** Writes through {@link DirectWriter} when {@code file} is given and allows it (chunks are block aligned). */
    @Override
    public void restoreTo(java.nio.file.Path file, FileChannel target, ProgressListener progress) throws IOException {
        if (closed) throw new IllegalStateException("image reader is closed");
        if (target.size() > 0) target.truncate(0);
        try (DirectWriter direct = file == null ? null : DirectWriter.open(file, m.chunkSize)) {
            restoreTo(
                    direct != null
                            ? (b, len, pos) -> direct.write(b, 0, len, pos)
                            : (b, len, pos) -> {
                                ByteBuffer buf = ByteBuffer.wrap(b, 0, len);
                                while (buf.hasRemaining()) pos += target.write(buf, pos);
                            },
                    progress);
            if (direct != null) direct.finish(m.size);
        }
        if (target.size() < m.size) target.write(ByteBuffer.wrap(new byte[1]), m.size - 1);
    }

    /** Writes the chunks in order as the decoding workers finish them; holes are never passed. */
    @Override
    public void streamTo(WritableByteChannel out, ProgressListener progress) throws IOException {
        if (closed) throw new IllegalStateException("image reader is closed");
        ByteBuffer zeros = ByteBuffer.allocateDirect(m.chunkSize);
        long[] written = {0};
        restoreTo(
                (b, len, pos) -> {
                    written[0] = zeroFill(out, zeros, written[0], pos);
                    ByteBuffer buf = ByteBuffer.wrap(b, 0, len);
                    while (buf.hasRemaining()) out.write(buf);
                    written[0] = pos + len;
                },
                progress);
        zeroFill(out, zeros, written[0], m.size);
    }

    /** Writes zeros on {@code out} from {@code from} up to {@code to}; returns {@code to}. */
    private static long zeroFill(WritableByteChannel out, ByteBuffer zeros, long from, long to) throws IOException {
        for (long pos = from; pos < to; ) {
            ByteBuffer z = zeros.duplicate().clear().limit((int) Math.min(zeros.capacity(), to - pos));
            while (z.hasRemaining()) pos += out.write(z);
        }
        return to;
    }

    /** Where {@link #restoreTo(Sink, ProgressListener)} puts a decoded chunk: {@code b[0, len)} at image offset {@code pos}. */
    @FunctionalInterface
    private interface Sink {
        void write(byte[] b, int len, long pos) throws IOException;
    }

    private void restoreTo(Sink sink, ProgressListener progress) throws IOException {
        ProgressListener p = progress == null ? ProgressListener.NONE : progress;
        long total = 0;
        for (int c = 0; c < m.count(); c++) if (m.chunk(c) != null) total += m.chunkLength(c);
        int ahead = repo.readAhead();
        int prefetchChunks = repo.prefetchChunks(); // remote: whole packs fetched ahead, several at once
        int prefetched = 0;
        java.util.ArrayDeque<byte[]> pool = new java.util.ArrayDeque<>();
        java.util.ArrayDeque<Decoded> queue = new java.util.ArrayDeque<>();
        long done = 0;
        try {
            for (int c = 0; c < m.count(); c++) {
                ChunkId id = m.chunk(c);
                if (id == null) continue;
                if (prefetched < c) prefetched = c;
                while (prefetched < m.count() && prefetched < c + prefetchChunks) {
                    ChunkId next = m.chunk(prefetched);
                    if (next != null && !repo.prefetch(next)) break; // enough fetches running
                    prefetched++;
                }
                byte[] buf = pool.isEmpty() ? new byte[m.chunkSize] : pool.pop();
                queue.add(new Decoded(c, buf, repo.readers().submit(() -> repo.readChunkInto(id, buf))));
                if (queue.size() >= ahead) done = writeOldest(queue, pool, sink, done, total, p);
            }
            while (!queue.isEmpty()) done = writeOldest(queue, pool, sink, done, total, p);
        } finally {
            for (Decoded d : queue) d.result().cancel(false);
            for (Decoded d : queue) { // never return while a worker still fills a buffer
                try {
                    d.result().get();
                } catch (java.util.concurrent.CancellationException | ExecutionException ignored) {
                    // cancelled before it ran, or failed: the first failure is already thrown
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        p.progress(total, total);
    }

    /** A chunk being decoded into {@code buf} by a worker; the future yields its raw length. */
    private record Decoded(int chunk, byte[] buf, Future<Integer> result) {}

    private long writeOldest(
            java.util.ArrayDeque<Decoded> queue,
            java.util.ArrayDeque<byte[]> pool,
            Sink sink,
            long done,
            long total,
            ProgressListener p)
            throws IOException {
        Decoded d = queue.peek();
        int n;
        try {
            n = d.result().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted during restore");
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            if (t instanceof IOException io) throw io;
            if (t instanceof Error err) throw err;
            throw new IOException("restore failed: " + t, t);
        }
        queue.poll();
        int clen = m.chunkLength(d.chunk());
        int len = Math.min(clen, n); // a short chunk's rest stays a hole (zeros)
        long pos = (long) d.chunk() * m.chunkSize;
        sink.write(d.buf(), len, pos);
        pool.push(d.buf());
        done += clen;
        p.progress(done, total);
        return done;
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) return;
        closed = true;
        lock.close();
    }
}
