package dev.stillpoint.repository;

import dev.stillpoint.repository.store.Store;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Appends encoded blobs to a pack upload of its {@link Sink}; when the pack reaches the target
 * size (or on {@link #flush()}) it writes the header and trailer and hands the upload to a
 * publisher thread: the sink makes it durable as {@code data/xx/<sha256>}, then writes its
 * index file. The writer knows only the cipher (for the header) and the sink. Only
 * after both are durable do the chunks enter the in-memory index, so a snapshot can never
 * reference a chunk whose pack or index is not durable. Publishing runs beside the workers (the
 * fsync of one pack no longer stalls every chunk); at most {@link #MAX_PENDING} packs wait for
 * it. Thread-safe.
 *
 * <p>Concurrency: each writing thread appends to its own temp pack (concurrent buffered writes
 * to one file would serialise on its inode lock, and spin there). Under the writer's lock a blob
 * only reserves its range; the bytes are written outside the lock with a positional write, so
 * one worker blocked in {@code write(2)} (dirty-page throttling) does not stall the others. The header is written, and the pack queued, only once every
 * reserved range is written; a pack with a failed write is deleted, never published. Ranges of
 * one pack arrive in order (one thread fills it), as {@link Store.Upload} requires (the local
 * store writes them with {@code O_DIRECT}).
 */
final class PackWriter implements AutoCloseable {
    static final int MAX_PENDING = 2;

    /** Where packs go. */
    interface Sink {
        /** A new pack's bytes. */
        Store.Upload begin() throws IOException;

        /** Makes {@code pack} durable as pack {@code packId}, then its index file, then adds it to the in-memory index. */
        void publish(Store.Upload pack, String packId, long length, List<PackEntry> entries) throws IOException;

        /**
         * Packs published at once: 1 for a local disk (one fsync after another); more for a
         * remote store, where each publication is an upload waiting on the network and the server.
         */
        default int publishers() {
            return 1;
        }
    }

    private final Crypto crypto;
    private final long packSize;
    private final Sink sink;
    /** The pack each thread appends to: one file per writing thread, so buffered writes never contend for one inode lock. */
    private final java.util.Map<Thread, OpenPack> open = new java.util.HashMap<>();

    private long storedBytes;
    private int packsWritten;
    private int sealing;
    private ExecutorService publisher;
    private final Semaphore slots;
    private final List<Future<?>> pending = new ArrayList<>();
    /** Ids of the packs this writer published (an id may be an existing pack's: same chunks, same bytes). */
    private final java.util.Set<String> published = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** A temp pack being filled: ranges are reserved under the writer's lock, written outside it. */
    private static final class OpenPack {
        final Store.Upload upload;
        final List<PackEntry> entries = new ArrayList<>();
        long pos;
        int writing;
        IOException failed;

        OpenPack(Store.Upload upload) {
            this.upload = upload;
        }

        /** Writes {@code b[0, len)} at {@code at}; ranges arrive in order (one thread fills a pack). */
        void write(byte[] b, int len, long at) throws IOException {
            upload.write(b, 0, len, at);
        }

        synchronized void written(IOException e) {
            if (e != null && failed == null) failed = e;
            writing--;
            if (writing == 0) notifyAll();
        }

        synchronized void awaitWrites() throws IOException {
            boolean interrupted = false;
            while (writing > 0) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
            if (failed != null) throw new IOException("writing a pack failed: " + failed.getMessage(), failed);
        }

        void discard() {
            upload.close();
        }
    }

    PackWriter(Crypto crypto, long packSize, Sink sink) {
        this.crypto = crypto;
        this.packSize = packSize;
        this.sink = sink;
        this.slots = new Semaphore(MAX_PENDING - 1 + sink.publishers());
    }

    void add(ChunkId id, byte[] blob, int rawLength) throws IOException {
        add(id, blob, blob.length, rawLength);
    }

    /** Appends {@code blob[0, length)}; the array may be reused once this returns. */
    void add(ChunkId id, byte[] blob, int length, int rawLength) throws IOException {
        try {
            append(id, blob, length, rawLength);
        } catch (IOException e) {
            throw RepositoryException.ofIo("writing a pack", e);
        }
    }

    private void append(ChunkId id, byte[] blob, int length, int rawLength) throws IOException {
        OpenPack p, full = null;
        long at;
        synchronized (this) {
            checkPublished();
            p = open.get(Thread.currentThread());
            if (p == null) {
                p = open();
                open.put(Thread.currentThread(), p);
            }
            at = p.pos;
            p.pos += length;
            p.entries.add(new PackEntry(id, at, length, rawLength));
            storedBytes += length;
            synchronized (p) {
                p.writing++;
            }
            if (p.pos >= packSize) {
                full = p;
                open.remove(Thread.currentThread());
                sealing++;
            }
        }
        IOException failure = null;
        try {
            p.write(blob, length, at);
        } catch (IOException e) {
            failure = e;
            throw e;
        } finally {
            p.written(failure);
            if (full != null) seal(full);
        }
    }

    private OpenPack open() throws IOException {
        return new OpenPack(sink.begin());
    }

    /**
     * Finishes a full pack (detached from {@link #open}, counted in {@link #sealing}) once all its
     * ranges are written, and queues its publication. Runs outside the writer's lock.
     */
    private void seal(OpenPack p) throws IOException {
        boolean queued = false;
        try {
            p.awaitWrites();
            byte[] header = FileCodec.encode(crypto, "pack-header", PackFormat.entries(p.entries));
            byte[] trailer = ByteBuffer.allocate(8)
                    .putInt(header.length)
                    .put(PackFormat.MAGIC)
                    .array();
            p.write(header, header.length, p.pos);
            p.write(trailer, trailer.length, p.pos + header.length);
            long length = p.pos + header.length + trailer.length;
            String packId = PackFormat.packId(header, trailer);
            List<PackEntry> e = List.copyOf(p.entries);
            try {
                slots.acquire();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting to publish a pack");
            }
            synchronized (this) {
                storedBytes += header.length + trailer.length;
                packsWritten++;
                if (publisher == null)
                    publisher = Executors.newFixedThreadPool(sink.publishers(), r -> {
                        Thread th = new Thread(r, "stillpoint-pack-publisher");
                        th.setDaemon(true);
                        return th;
                    });
                pending.add(publisher.submit(() -> {
                    try {
                        publish(p, packId, length, e);
                    } finally {
                        slots.release();
                    }
                    return null;
                }));
            }
            queued = true;
        } finally {
            if (!queued) p.discard();
            synchronized (this) {
                sealing--;
                notifyAll();
            }
        }
    }

    private void publish(OpenPack p, String packId, long length, List<PackEntry> e) throws IOException {
        try {
            sink.publish(p.upload, packId, length, e);
        } finally {
            p.upload.close();
        }
        published.add(packId);
    }

    /** The ids of the packs published so far (complete after {@link #flush()}). */
    java.util.Set<String> published() {
        return java.util.Set.copyOf(published);
    }

    /** Throws the first failure of a finished publication. */
    private void checkPublished() throws IOException {
        for (Future<?> f : pending) if (f.isDone()) await(f);
        pending.removeIf(Future::isDone);
    }

    private static void await(Future<?> f) throws IOException {
        try {
            f.get();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while publishing packs");
        } catch (ExecutionException ex) {
            if (ex.getCause() instanceof IOException io) throw io;
            throw new IOException("publishing a pack failed: " + ex.getCause(), ex.getCause());
        }
    }

    /** Waits until no other thread is sealing a pack of this writer (caller holds the lock). */
    private void awaitSealing() throws InterruptedIOException {
        while (sealing > 0) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for a pack to be sealed");
            }
        }
    }

    /**
     * Publishes the open packs (if any) and waits until every pack of this writer is durable
     * and indexed. Call when no {@link #add} is running.
     */
    void flush() throws IOException {
        try {
            flushAll();
        } catch (IOException e) {
            throw RepositoryException.ofIo("writing a pack", e);
        }
    }

    private void flushAll() throws IOException {
        List<OpenPack> last;
        synchronized (this) {
            last = new ArrayList<>(open.values());
            open.clear();
            sealing += last.size();
        }
        IOException first = null;
        for (int i = 0; i < last.size(); i++) {
            try {
                seal(last.get(i));
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
        synchronized (this) {
            awaitSealing();
            try {
                for (Future<?> f : pending) await(f);
            } finally {
                pending.clear();
            }
        }
    }

    synchronized long storedBytes() {
        return storedBytes;
    }

    synchronized int packsWritten() {
        return packsWritten;
    }

    /** Abandons an unsealed pack; packs already sealed are still published (they may be reused by dedup). */
    @Override
    public void close() throws IOException {
        List<OpenPack> unsealed;
        synchronized (this) {
            unsealed = new ArrayList<>(open.values());
            open.clear();
        }
        for (OpenPack p : unsealed) {
            try {
                p.awaitWrites();
            } catch (IOException ignored) {
                /* discarded anyway */
            }
            p.discard();
        }
        synchronized (this) {
            try {
                awaitSealing();
            } catch (InterruptedIOException ignored) {
                /* best effort */
            }
            for (Future<?> f : pending) {
                try {
                    await(f);
                } catch (IOException ignored) {
                    /* an abandoned writer's packs are garbage anyway */
                }
            }
            pending.clear();
            if (publisher != null) publisher.shutdown();
        }
    }
}
