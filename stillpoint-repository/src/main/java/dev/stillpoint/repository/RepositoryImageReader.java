package dev.stillpoint.repository;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayDeque;
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

    @Override public long size() { return m.size; }

    @Override
    public List<Extent> allocated() {
        List<Extent> out = new ArrayList<>();
        long start = -1, end = -1;
        for (int c = 0; c < m.count(); c++) {
            if (m.chunk(c) == null) continue;
            long s = (long) c * m.chunkSize, e = s + m.chunkLength(c);
            if (s == end) { end = e; continue; }
            if (start >= 0) out.add(new Extent(start, end - start));
            start = s;
            end = e;
        }
        if (start >= 0) out.add(new Extent(start, end - start));
        return out;
    }

    @Override
    public synchronized void read(long offset, ByteBuffer dst) throws IOException {
        if (closed) throw new IllegalStateException("image reader is closed");
        if (offset < 0 || offset + dst.remaining() > m.size)
            throw new RepositoryException(RepositoryException.Code.INVALID_ARGUMENT, "read [" + offset + ", +" + dst.remaining() + ") is outside the image (size " + m.size + ")");
        while (dst.hasRemaining()) {
            int c = (int) (offset / m.chunkSize);
            int within = (int) (offset - (long) c * m.chunkSize);
            int n = Math.min(m.chunkLength(c) - within, dst.remaining());
            ChunkId id = m.chunk(c);
            byte[] data = null;
            if (id != null) {
                if (cachedIndex != c) { cached = repo.readChunk(id); cachedIndex = c; }
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
     * allocated (non-hole) bytes. Chunks are decoded ahead on the worker threads.
     */
    @Override
    public void restoreTo(FileChannel target, ProgressListener progress) throws IOException {
        if (closed) throw new IllegalStateException("image reader is closed");
        ProgressListener p = progress == null ? ProgressListener.NONE : progress;
        if (target.size() > 0) target.truncate(0);
        long total = 0;
        for (int c = 0; c < m.count(); c++) if (m.chunk(c) != null) total += m.chunkLength(c);
        int window = 2 * repo.threads();
        ArrayDeque<Object[]> queue = new ArrayDeque<>();
        long done = 0;
        try {
            for (int c = 0; c < m.count(); c++) {
                ChunkId id = m.chunk(c);
                if (id == null) continue;
                while (queue.size() >= window) done = drainOne(queue, target, done, total, p);
                queue.add(new Object[]{c, repo.workers().submit(() -> repo.readChunk(id))});
            }
            while (!queue.isEmpty()) done = drainOne(queue, target, done, total, p);
        } finally {
            for (Object[] q : queue) if (q[1] instanceof Future<?> f) f.cancel(true);
        }
        if (target.size() < m.size) target.write(ByteBuffer.wrap(new byte[1]), m.size - 1);
        target.force(false);
        p.progress(total, total);
    }

    private long drainOne(ArrayDeque<Object[]> queue, FileChannel target, long done, long total, ProgressListener p) throws IOException {
        Object[] q = queue.poll();
        int c = (Integer) q[0];
        int clen = m.chunkLength(c);
        if (q[1] instanceof Future<?> f) {
            byte[] data;
            try {
                data = (byte[]) f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted during restore");
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException io) throw io;
                throw new IOException("restore failed: " + e.getCause(), e.getCause());
            }
            ByteBuffer b = ByteBuffer.wrap(data, 0, Math.min(clen, data.length));
            long pos = (long) c * m.chunkSize;
            while (b.hasRemaining()) pos += target.write(b, pos);
        }
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
