package dev.stillpoint.repository;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Assembles fixed-size chunks from ordered writes on the caller's thread and hands complete
 * chunks to the repository's worker pool (zero test, hash, dedup, compress, encrypt, append to a
 * pack). At most {@code 2 * threads} chunks are in flight, so memory is
 * {@code (2 * threads + 1) * chunkSize} plus one compression buffer per worker, whatever the
 * image size. The chunk list starts as the parent's; untouched chunks keep the parent's id
 * without being read.
 */
final class RepositoryImageWriter implements ImageWriter {
    private static final byte[] ZEROS = new byte[16 << 20];

    private final FileRepository repo;
    private final LockManager.Held lock;
    private final String name;
    private long size;
    private boolean streaming;
    private final String parentId;
    private final Manifest parent;
    private final Map<String, String> tags;
    private final ProgressListener progress;
    private final int cs;
    private int count;
    private byte[] ids;
    private final Object idsLock = new Object();
    private final PackWriter packs;
    private final int permits;
    private final Semaphore inflight;
    private final ArrayBlockingQueue<byte[]> pool;
    private final Set<ChunkId> pending = ConcurrentHashMap.newKeySet();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicLong done = new AtomicLong();

    private long lastEnd;
    private int cur = -1;
    private byte[] buf;
    private int covered;
    private final List<int[]> segments = new ArrayList<>();
    private boolean finished;

    RepositoryImageWriter(
            FileRepository repo,
            LockManager.Held lock,
            String name,
            long size,
            String parentId,
            Manifest parent,
            Map<String, String> tags,
            ProgressListener progress) {
        this.repo = repo;
        this.lock = lock;
        this.name = name;
        this.streaming = size == Repository.UNKNOWN_SIZE;
        this.size = streaming ? 0 : size;
        this.parentId = parentId;
        this.parent = parent;
        this.tags = Map.copyOf(tags);
        this.progress = progress;
        this.cs = repo.config().chunkSize();
        this.count = (int) Manifest.chunkCount(this.size, cs);
        this.ids = new byte[count * 32];
        if (parent != null) System.arraycopy(parent.chunks, 0, ids, 0, Math.min(ids.length, parent.chunks.length));
        this.packs = repo.newPackWriter();
        this.permits = 2 * repo.threads();
        this.inflight = new Semaphore(permits);
        this.pool = new ArrayBlockingQueue<>(permits + 1);
    }

    private int chunkLen(int c) {
        return streaming ? cs : (int) Math.min(cs, size - (long) c * cs);
    }

    /** Streaming: grows the chunk list so that chunk {@code c} exists. */
    private void ensureChunk(int c) throws RepositoryException {
        if (c < count) return;
        if (c >= (Integer.MAX_VALUE - 64) / 32)
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT, "stream exceeds the maximum image size");
        int n = Math.max(c + 1, Math.min((Integer.MAX_VALUE - 64) / 32, count * 2 + 16));
        synchronized (idsLock) {
            ids = Arrays.copyOf(ids, n * 32);
            count = n;
        }
    }

    @Override
    public void write(long offset, ByteBuffer data) throws IOException {
        lock.checkNotLost(); // a job whose lock was taken from it stops now, not at its commit
        int len = data.remaining();
        checkRange(offset, len);
        while (data.hasRemaining()) {
            int c = (int) (offset / cs);
            int within = (int) (offset - (long) c * cs);
            int clen = chunkLen(c);
            if (c != cur) {
                finishCurrent();
                start(c);
            }
            int n = Math.min(clen - within, data.remaining());
            data.get(buf, within, n);
            segment(within, within + n);
            offset += n;
            if (covered == clen) finishCurrent();
        }
    }

    @Override
    public void writeZeroes(long offset, long length) throws IOException {
        lock.checkNotLost();
        checkRange(offset, length);
        while (length > 0) {
            int c = (int) (offset / cs);
            int within = (int) (offset - (long) c * cs);
            int clen = chunkLen(c);
            int n = (int) Math.min(clen - within, length);
            if (c != cur && within == 0 && n == clen) {
                finishCurrent();
                setId(c, null);
                progress(clen);
            } else {
                if (c != cur) {
                    finishCurrent();
                    start(c);
                }
                Arrays.fill(buf, within, within + n, (byte) 0);
                segment(within, within + n);
                if (covered == clen) finishCurrent();
            }
            offset += n;
            length -= n;
        }
    }

    private void checkRange(long offset, long len) throws IOException {
        if (finished) throw new IllegalStateException("image writer for " + name + " is already committed or closed");
        rethrow();
        if (offset < lastEnd)
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "write offset " + offset + " is before the end of the previous write (" + lastEnd
                            + "); writes must come in non-decreasing, non-overlapping order");
        if (streaming) {
            if (len < 0)
                throw new RepositoryException(
                        RepositoryException.Code.INVALID_ARGUMENT, "length " + len + " is negative");
            if (len > 0) ensureChunk((int) ((offset + len - 1) / cs));
        } else if (len < 0 || offset + len > size)
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "write [" + offset + ", +" + len + ") exceeds the image size " + size);
        lastEnd = offset + len;
    }

    private void start(int c) {
        cur = c;
        buf = pool.poll();
        if (buf == null) buf = new byte[cs];
        covered = 0;
        segments.clear();
    }

    private void segment(int from, int to) {
        segments.add(new int[] {from, to});
        covered += to - from;
    }

    /** Completes the current chunk (gaps from the parent, or zeros) and submits it. */
    private void finishCurrent() throws IOException {
        if (cur < 0) return;
        int c = cur, clen = chunkLen(c);
        byte[] b = buf;
        cur = -1;
        buf = null;
        if (covered < clen) {
            ChunkId pid = parent != null && c < parent.count() ? parent.chunk(c) : null;
            byte[] pdata = pid == null ? null : repo.readChunk(pid);
            int pos = 0;
            for (int[] s : segments) {
                fillGap(b, pdata, pos, s[0]);
                pos = s[1];
            }
            fillGap(b, pdata, pos, clen);
        }
        submit(c, b, clen);
    }

    private static void fillGap(byte[] b, byte[] pdata, int from, int to) {
        if (from >= to) return;
        int fromParent = pdata == null ? 0 : Math.max(0, Math.min(to, pdata.length) - from);
        if (fromParent > 0) System.arraycopy(pdata, from, b, from, fromParent);
        Arrays.fill(b, from + fromParent, to, (byte) 0);
    }

    private void submit(int c, byte[] b, int len) throws IOException {
        try {
            inflight.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a free chunk slot");
        }
        try {
            repo.workers().execute(() -> {
                try {
                    process(c, b, len);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    pool.offer(b);
                    inflight.release();
                }
            });
        } catch (RuntimeException e) {
            inflight.release();
            throw new IOException("cannot schedule chunk work: " + e, e);
        }
    }

    private void process(int c, byte[] b, int len) throws IOException {
        if (Arrays.mismatch(b, 0, len, ZEROS, 0, len) < 0) {
            setId(c, null);
        } else {
            ChunkId id = repo.crypto().id(b, 0, len);
            if (!repo.index().contains(id) && pending.add(id)) {
                BlobCodec.Encoded blob = BlobCodec.encodeScratch(
                        repo.crypto(), id, b, len, repo.config().compressionLevel());
                packs.add(id, blob.bytes(), blob.length(), len);
            }
            setId(c, id);
        }
        progress(len);
    }

    private void setId(int c, ChunkId id) {
        synchronized (idsLock) { // the array may be replaced by a growing stream
            if (id == null) Arrays.fill(ids, c * 32, c * 32 + 32, (byte) 0);
            else id.copyTo(ids, c * 32);
        }
    }

    private void progress(long n) {
        progress.progress(done.addAndGet(n), streaming ? -1 : size);
    }

    private void awaitIdle() throws IOException {
        try {
            inflight.acquire(permits);
            inflight.release(permits);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for chunk work to finish");
        }
    }

    private void rethrow() throws IOException {
        Throwable t = failure.get();
        if (t == null) return;
        if (t instanceof IOException io) throw io;
        if (t instanceof Error e) throw e;
        throw new IOException("chunk processing failed: " + t, t);
    }

    @Override
    public SnapshotInfo commit() throws IOException {
        if (finished) throw new IllegalStateException("image writer for " + name + " is already committed or closed");
        try {
            if (streaming) {
                // the stream ended: its size is the end of the last write; the tail chunk is short
                size = lastEnd;
                streaming = false;
                awaitIdle();
                synchronized (idsLock) {
                    count = (int) Manifest.chunkCount(size, cs);
                    ids = Arrays.copyOf(ids, count * 32);
                }
            }
            finishCurrent();
            awaitIdle();
            rethrow();
            packs.flush();
            long allocated = 0;
            for (int c = 0; c < count; c++) {
                for (int k = 0; k < 32; k++)
                    if (ids[c * 32 + k] != 0) {
                        allocated += chunkLen(c);
                        break;
                    }
            }
            Manifest m =
                    new Manifest(name, Instant.now(), size, cs, parentId, tags, allocated, packs.storedBytes(), ids);
            lock.verify(); // a writer whose lease lapsed may have lost its packs to a prune: no snapshot then
            String id = repo.writeManifest(m);
            compactIndex();
            progress.progress(size, size);
            return m.info(id);
        } finally {
            close();
        }
    }

    /**
     * Merges small index files once the snapshot is published (best effort: a failure leaves
     * them as they are, which costs only time at the next open).
     */
    private void compactIndex() {
        try {
            IndexCompactor.compactSmall(repo);
        } catch (IOException | RuntimeException e) {
            // the snapshot is durable and every pack indexed: its commit must not fail now; the next writer merges
            // again
        }
    }

    @Override
    public void close() throws IOException {
        if (finished) return;
        finished = true;
        try {
            awaitIdle();
            packs.close();
        } finally {
            lock.close();
        }
    }
}
