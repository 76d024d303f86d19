package dev.stillpoint.repository;

import dev.stillpoint.repository.store.Store;
import dev.stillpoint.repository.store.UnlinkedTempFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Chunk reads from a remote store: each pack is fetched once, whole, with one streamed GET into a
 * temp file ({@code java.io.tmpdir}; {@link Store#copyTo}, through a small reused buffer, so a
 * download makes no garbage), and its chunks are read from there. The temp file is unlinked as soon
 * as it is created and read through its open channel, so a process killed mid-restore leaves no
 * 32 MiB file behind (the kernel frees it with the last descriptor). A restore reads the
 * chunks of a pack close together (a writer fills one pack at a time), so one request per pack
 * replaces one per chunk (a ranged GET costs the server a request each; restic's restorer
 * fetches by pack too). At most {@link #MAX_PACKS} packs are kept (least recently used first out,
 * closed on eviction and on close): disk, not heap. Thread-safe.
 */
final class PackSpool implements AutoCloseable {
    static final int MAX_PACKS = 12;
    /** Packs fetched at once ahead of the reads ({@link #prefetch}): each a streamed GET, latency and server time to overlap ({@code -Dstillpoint.s3.fetchers}). */
    static final int FETCHERS = Integer.getInteger("stillpoint.s3.fetchers", 4);

    private final Store store;
    private final Path dir;
    private final java.util.concurrent.ExecutorService fetchers =
            java.util.concurrent.Executors.newFixedThreadPool(FETCHERS, r -> {
                Thread t = new Thread(r, "stillpoint-pack-fetch");
                t.setDaemon(true);
                return t;
            });
    private int fetching;
    private final Map<String, CompletableFuture<FileChannel>> packs = new LinkedHashMap<>(16, 0.75f, true);
    private boolean closed;

    PackSpool(Store store) {
        this(store, Path.of(System.getProperty("java.io.tmpdir")));
    }

    /** A spool whose temp files are made (and at once unlinked) in {@code dir}. */
    PackSpool(Store store, Path dir) {
        this.store = store;
        this.dir = dir;
    }

    /** Reads {@code len} bytes of pack object {@code name} at {@code offset} into {@code dst}; fewer at its end. */
    int read(String name, long offset, byte[] dst, int len) throws IOException {
        CompletableFuture<FileChannel> f;
        boolean fetch = false;
        synchronized (this) {
            if (closed) throw new IOException("repository closed");
            f = packs.get(name);
            if (f == null) {
                f = new CompletableFuture<>();
                packs.put(name, f);
                fetch = true;
                evict();
            }
        }
        if (fetch) fetch(name, f);
        FileChannel ch;
        try {
            ch = f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while fetching " + name);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            if (e.getCause() instanceof Error err) throw err;
            throw new IOException("fetching " + name + " failed: " + e.getCause(), e.getCause());
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(dst, 0, len);
            while (b.hasRemaining()) if (ch.read(b, offset + b.position()) < 0) break;
            return b.position();
        } catch (ClosedChannelException evicted) {
            if (Thread.interrupted()) { // an interrupt closes a FileChannel too: not an eviction
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while reading " + name);
            }
            return store.read(name, offset, dst, 0, len); // evicted meanwhile: one ranged read
        }
    }

    /**
     * Starts fetching pack object {@code name} in the background unless it is here or on its way;
     * false (nothing started) when {@link #FETCHERS} fetches run already.
     */
    boolean prefetch(String name) {
        CompletableFuture<FileChannel> f;
        synchronized (this) {
            if (closed || packs.containsKey(name)) return true;
            if (fetching >= FETCHERS) return false;
            f = new CompletableFuture<>();
            packs.put(name, f);
            fetching++;
            evict();
        }
        fetchers.execute(() -> {
            try {
                fetch(name, f);
            } catch (Throwable e) {
                // completed exceptionally: the reader that needs it sees the error (or fetches again)
            } finally {
                synchronized (this) {
                    fetching--;
                }
            }
        });
        return true;
    }

    /**
     * Downloads pack {@code name} into an unlinked temp file and completes {@code f} with its
     * channel. Any failure, an {@link Error} too, completes {@code f} exceptionally, so no reader
     * waits for it forever.
     */
    private void fetch(String name, CompletableFuture<FileChannel> f) throws IOException {
        FileChannel ch = null;
        try {
            ch = UnlinkedTempFile.create(dir, "stillpoint-pack-");
            store.copyTo(name, ch);
            boolean late;
            synchronized (this) {
                late = closed; // fetched ahead while the repository closed
                f.complete(ch);
            }
            if (late) ch.close();
        } catch (Throwable e) {
            synchronized (this) {
                packs.remove(name, f);
            }
            try {
                if (ch != null) ch.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            f.completeExceptionally(e);
            throw e;
        }
    }

    /** Drops the least recently used packs beyond {@link #MAX_PACKS} (caller holds the lock). */
    private void evict() {
        var it = packs.entrySet().iterator();
        while (packs.size() > MAX_PACKS && it.hasNext()) {
            CompletableFuture<FileChannel> old = it.next().getValue();
            if (!old.isDone()) continue; // being fetched: a reader waits for it
            it.remove();
            delete(old);
        }
    }

    private static void delete(CompletableFuture<FileChannel> f) {
        if (f.isDone() && !f.isCompletedExceptionally()) {
            try {
                f.join().close(); // a reader in it falls back to a ranged read
            } catch (IOException ignored) {
                /* an unlinked temp file */
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        fetchers.shutdownNow();
        for (CompletableFuture<FileChannel> f : packs.values()) delete(f);
        packs.clear();
    }
}
