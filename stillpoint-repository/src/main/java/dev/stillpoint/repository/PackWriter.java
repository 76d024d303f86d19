package dev.stillpoint.repository;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
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
 */
final class PackWriter implements AutoCloseable {
    static final int MAX_PENDING = 2;

    private final FileRepository repo;
    private Path tmp;
    private FileChannel ch;
    private MessageDigest digest;
    private long pos;
    private final List<PackEntry> entries = new ArrayList<>();
    private long storedBytes;
    private int packsWritten;
    private ExecutorService publisher;
    private final Semaphore slots = new Semaphore(MAX_PENDING);
    private final List<Future<?>> pending = new ArrayList<>();

    PackWriter(FileRepository repo) { this.repo = repo; }

    synchronized void add(ChunkId id, byte[] blob, int rawLength) throws IOException {
        add(id, blob, blob.length, rawLength);
    }

    /** Appends {@code blob[0, length)}; the array may be reused once this returns. */
    synchronized void add(ChunkId id, byte[] blob, int length, int rawLength) throws IOException {
        checkPublished();
        if (ch == null) open();
        write(ByteBuffer.wrap(blob, 0, length));
        entries.add(new PackEntry(id, pos - length, length, rawLength));
        storedBytes += length;
        if (pos >= repo.config().packSize()) seal();
    }

    private void open() throws IOException {
        tmp = Files.createTempFile(repo.tmpDir(), "pack-", ".tmp");
        ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
        digest = Crypto.newDigest();
        pos = 0;
        entries.clear();
    }

    private void write(ByteBuffer b) throws IOException {
        byte[] a = b.array(); // always heap buffers here
        int off = b.arrayOffset() + b.position(), len = b.remaining();
        for (int p = 0; p < len; p += Crypto.SLICE) digest.update(a, off + p, Math.min(Crypto.SLICE, len - p)); // see Crypto.SLICE
        while (b.hasRemaining()) pos += ch.write(b);
    }

    /** Finishes the current pack file and queues its publication. */
    private void seal() throws IOException {
        byte[] header = FileCodec.encode(repo.crypto(), "pack-header", PackFormat.entries(entries));
        write(ByteBuffer.wrap(header));
        write(ByteBuffer.allocate(8).putInt(header.length).put(PackFormat.MAGIC).flip());
        storedBytes += header.length + 8;
        FileChannel c = ch;
        Path t = tmp;
        List<PackEntry> e = List.copyOf(entries);
        String packId = Hex.of(digest.digest());
        long length = pos;
        ch = null;
        tmp = null;
        entries.clear();
        packsWritten++;
        try {
            slots.acquire();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            c.close();
            Files.deleteIfExists(t);
            throw new InterruptedIOException("interrupted while waiting to publish a pack");
        }
        if (publisher == null) publisher = Executors.newSingleThreadExecutor(r -> {
            Thread th = new Thread(r, "stillpoint-pack-publisher");
            th.setDaemon(true);
            return th;
        });
        pending.add(publisher.submit(() -> {
            try {
                publish(c, t, packId, length, e);
            } finally {
                slots.release();
            }
            return null;
        }));
    }

    private void publish(FileChannel c, Path t, String packId, long length, List<PackEntry> e) throws IOException {
        try {
            c.force(true);
            c.close();
            AtomicFiles.publish(t, repo.packPath(packId));
        } finally {
            c.close();
            Files.deleteIfExists(t);
        }
        AtomicFiles.write(repo.tmpDir(), repo.indexPath(packId), PackFormat.indexFile(repo.crypto(), length, e));
        repo.index().add(packId, length, e);
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

    /** Publishes the current pack (if any) and waits until every pack of this writer is durable and indexed. */
    synchronized void flush() throws IOException {
        if (ch != null) seal();
        try {
            for (Future<?> f : pending) await(f);
        } finally {
            pending.clear();
        }
    }

    synchronized long storedBytes() { return storedBytes; }

    synchronized int packsWritten() { return packsWritten; }

    /** Abandons an unsealed pack; packs already sealed are still published (they may be reused by dedup). */
    @Override public synchronized void close() throws IOException {
        if (ch != null) { ch.close(); ch = null; }
        if (tmp != null) { Files.deleteIfExists(tmp); tmp = null; }
        for (Future<?> f : pending) {
            try { await(f); } catch (IOException ignored) { /* an abandoned writer's packs are garbage anyway */ }
        }
        pending.clear();
        if (publisher != null) publisher.shutdown();
    }
}
