package dev.stillpoint.repository;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Appends encoded blobs to a temp pack; when the pack reaches the target size (or on
 * {@link #flush()}) it writes the header and trailer and hands the file to a publisher thread:
 * fsync, rename to {@code data/xx/<sha256>}, then the index file (temp, fsync, rename). Only
 * after both are durable do the chunks enter the in-memory index, so a snapshot can never
 * reference a chunk whose pack or index is not durable. Publishing runs beside the workers (the
 * fsync of one pack no longer stalls every chunk); at most {@link #MAX_PENDING} packs wait for
 * it. Thread-safe.
 *
 * <p>Concurrency: each writing thread appends to its own temp pack (concurrent buffered writes
 * to one file would serialise on its inode lock, and spin there). Under the writer's lock a blob
 * only reserves its range; the bytes are written outside the lock with a positional write, so
 * one worker blocked in {@code write(2)} (dirty-page throttling) does not stall the others. The header is written, and the pack queued, only once every
 * reserved range is written; a pack with a failed write is deleted, never published. Packs are
 * written with {@code O_DIRECT} through {@link DirectWriter} where the filesystem allows it
 * (ranges of one pack arrive in order: one thread fills it).
 */
final class PackWriter implements AutoCloseable {
    static final int MAX_PENDING = 2;

    private final FileRepository repo;
    /** The pack each thread appends to: one file per writing thread, so buffered writes never contend for one inode lock. */
    private final java.util.Map<Thread, OpenPack> open = new java.util.HashMap<>();
    private long storedBytes;
    private int packsWritten;
    private int sealing;
    private ExecutorService publisher;
    private final Semaphore slots = new Semaphore(MAX_PENDING);
    private final List<Future<?>> pending = new ArrayList<>();
    /** Ids of the packs this writer published (an id may be an existing pack's: same chunks, same bytes). */
    private final java.util.Set<String> published = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** A temp pack being filled: ranges are reserved under the writer's lock, written outside it. */
    private static final class OpenPack {
        final Path tmp;
        /** Direct writes to {@code tmp} when the filesystem allows them, else null and {@link #ch} (page cache). */
        final DirectWriter direct;
        final FileChannel ch;
        final List<PackEntry> entries = new ArrayList<>();
        long pos;
        int writing;
        IOException failed;

        OpenPack(Path tmp, FileChannel ch, DirectWriter direct) { this.tmp = tmp; this.ch = ch; this.direct = direct; }

        /** Writes {@code b[0, len)} at {@code at}; ranges arrive in order (one thread fills a pack). */
        void write(byte[] b, int len, long at) throws IOException {
            if (direct != null) direct.write(b, 0, len, at);
            else writeFully(ch, ByteBuffer.wrap(b, 0, len), at);
        }

        /** Makes the file {@code length} bytes, durable. */
        void finishAndForce(long length) throws IOException {
            if (direct != null) {
                direct.finish(length);
                direct.force();
            } else {
                ch.force(true);
            }
        }

        void closeChannels() throws IOException {
            if (direct != null) direct.close();
            else ch.close();
        }

        synchronized void written(IOException e) {
            if (e != null && failed == null) failed = e;
            writing--;
            if (writing == 0) notifyAll();
        }

        synchronized void awaitWrites() throws IOException {
            boolean interrupted = false;
            while (writing > 0) {
                try { wait(); } catch (InterruptedException e) { interrupted = true; }
            }
            if (interrupted) Thread.currentThread().interrupt();
            if (failed != null) throw new IOException("writing pack " + tmp + " failed: " + failed.getMessage(), failed);
        }

        void discard() {
            try { closeChannels(); } catch (IOException ignored) { /* deleting anyway */ }
            try { Files.deleteIfExists(tmp); } catch (IOException ignored) { /* tmp/ is garbage, prune clears it */ }
        }
    }

    PackWriter(FileRepository repo) { this.repo = repo; }

    void add(ChunkId id, byte[] blob, int rawLength) throws IOException {
        add(id, blob, blob.length, rawLength);
    }

    /** Appends {@code blob[0, length)}; the array may be reused once this returns. */
    void add(ChunkId id, byte[] blob, int length, int rawLength) throws IOException {
        try {
            append(id, blob, length, rawLength);
        } catch (IOException e) {
            throw RepositoryException.ofIo("writing a pack to " + repo.tmpDir(), e);
        }
    }

    private void append(ChunkId id, byte[] blob, int length, int rawLength) throws IOException {
        OpenPack p, full = null;
        long at;
        synchronized (this) {
            checkPublished();
            p = open.get(Thread.currentThread());
            if (p == null) { p = open(); open.put(Thread.currentThread(), p); }
            at = p.pos;
            p.pos += length;
            p.entries.add(new PackEntry(id, at, length, rawLength));
            storedBytes += length;
            synchronized (p) { p.writing++; }
            if (p.pos >= repo.config().packSize()) { full = p; open.remove(Thread.currentThread()); sealing++; }
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
        Path tmp = Files.createTempFile(repo.tmpDir(), "pack-", ".tmp");
        DirectWriter direct = DirectWriter.open(tmp, 0);
        return new OpenPack(tmp, direct == null ? FileChannel.open(tmp, StandardOpenOption.WRITE) : null, direct);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) at += ch.write(b, at);
    }

    /**
     * Finishes a full pack (detached from {@link #open}, counted in {@link #sealing}) once all its
     * ranges are written, and queues its publication. Runs outside the writer's lock.
     */
    private void seal(OpenPack p) throws IOException {
        boolean queued = false;
        try {
            p.awaitWrites();
            byte[] header = FileCodec.encode(repo.crypto(), "pack-header", PackFormat.entries(p.entries));
            byte[] trailer = ByteBuffer.allocate(8).putInt(header.length).put(PackFormat.MAGIC).array();
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
                if (publisher == null) publisher = Executors.newSingleThreadExecutor(r -> {
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
            p.finishAndForce(length);
            p.closeChannels();
            AtomicFiles.publish(p.tmp, repo.packPath(packId));
        } finally {
            p.closeChannels();
            Files.deleteIfExists(p.tmp);
        }
        AtomicFiles.write(repo.tmpDir(), repo.indexPath(packId), PackFormat.indexFile(repo.crypto(), length, e));
        repo.index().add(packId, length, e);
        published.add(packId);
    }

    /** The ids of the packs published so far (complete after {@link #flush()}). */
    java.util.Set<String> published() { return java.util.Set.copyOf(published); }

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
            throw RepositoryException.ofIo("writing a pack to " + repo.tmpDir(), e);
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

    synchronized long storedBytes() { return storedBytes; }

    synchronized int packsWritten() { return packsWritten; }

    /** Abandons an unsealed pack; packs already sealed are still published (they may be reused by dedup). */
    @Override public void close() throws IOException {
        List<OpenPack> unsealed;
        synchronized (this) {
            unsealed = new ArrayList<>(open.values());
            open.clear();
        }
        for (OpenPack p : unsealed) {
            try { p.awaitWrites(); } catch (IOException ignored) { /* discarded anyway */ }
            p.discard();
        }
        synchronized (this) {
            try { awaitSealing(); } catch (InterruptedIOException ignored) { /* best effort */ }
            for (Future<?> f : pending) {
                try { await(f); } catch (IOException ignored) { /* an abandoned writer's packs are garbage anyway */ }
            }
            pending.clear();
            if (publisher != null) publisher.shutdown();
        }
    }
}
