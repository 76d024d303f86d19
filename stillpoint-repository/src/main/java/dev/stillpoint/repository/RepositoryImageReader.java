package dev.stillpoint.repository;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
     * allocated (non-hole) bytes. Chunks are decoded ahead on the worker threads. Does not
     * fsync: call {@code target.force(true)} when the restore must be durable.
     */
    @Override
    public void restoreTo(FileChannel target, ProgressListener progress) throws IOException {
        if (closed) throw new IllegalStateException("image reader is closed");
        ProgressListener p = progress == null ? ProgressListener.NONE : progress;
        if (target.size() > 0) target.truncate(0);
        long total = 0;
        for (int c = 0; c < m.count(); c++) if (m.chunk(c) != null) total += m.chunkLength(c);
        final long totalBytes = total;
        // Each worker reads, verifies and writes its chunk (positional writes are thread-safe);
        // at most 2 x threads chunks are in flight.
        java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(2 * repo.threads());
        java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        List<Future<?>> tasks = new ArrayList<>();
        try {
            for (int c = 0; c < m.count() && failure.get() == null; c++) {
                ChunkId id = m.chunk(c);
                if (id == null) continue;
                final int chunk = c;
                slots.acquire();
                try {
                    tasks.add(repo.workers().submit(() -> {
                        try {
                            if (failure.get() != null) return;
                            byte[] data = repo.readChunk(id);
                            int clen = m.chunkLength(chunk);
                            ByteBuffer b = ByteBuffer.wrap(data, 0, Math.min(clen, data.length));
                            long pos = (long) chunk * m.chunkSize;
                            while (b.hasRemaining()) pos += target.write(b, pos);
                            p.progress(done.addAndGet(clen), totalBytes);
                        } catch (Throwable t) {
                            failure.compareAndSet(null, t);
                        } finally {
                            slots.release();
                        }
                    }));
                } catch (RuntimeException e) {
                    slots.release();
                    throw e;
                }
                tasks.removeIf(Future::isDone);
            }
            for (Future<?> f : tasks) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, new java.io.InterruptedIOException("interrupted during restore"));
        } catch (ExecutionException e) {
            failure.compareAndSet(null, e.getCause());
        } finally {
            for (Future<?> f : tasks) f.cancel(false);
            for (Future<?> f : tasks) { // never return while a worker still writes to target
                try {
                    f.get();
                } catch (java.util.concurrent.CancellationException | ExecutionException ignored) {
                    // cancelled before it ran, or already recorded
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        Throwable t = failure.get();
        if (t instanceof IOException io) throw io;
        if (t instanceof Error err) throw err;
        if (t != null) throw new IOException("restore failed: " + t, t);
        if (target.size() < m.size) target.write(ByteBuffer.wrap(new byte[1]), m.size - 1);
        p.progress(totalBytes, totalBytes);
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) return;
        closed = true;
        lock.close();
    }
}
