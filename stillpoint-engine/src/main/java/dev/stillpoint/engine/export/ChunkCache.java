package dev.stillpoint.engine.export;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Decoded chunks by index, least recently used evicted beyond {@code capacity} entries. Threads
 * asking for a chunk another thread is loading wait for that load instead of decoding it again.
 * A failed load is not cached (the next request tries again).
 */
final class ChunkCache {
    /** Decodes one chunk. */
    interface Loader {
        byte[] load(long index) throws IOException;
    }

    private final int capacity;
    private final Map<Long, CompletableFuture<byte[]>> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long hits;
    private long misses;

    ChunkCache(int capacity) {
        if (capacity < 0) throw new IllegalArgumentException("capacity must be >= 0, got " + capacity);
        this.capacity = capacity;
    }

    byte[] get(long index, Loader loader) throws IOException {
        if (capacity == 0) return loader.load(index);
        CompletableFuture<byte[]> f;
        boolean load = false;
        synchronized (this) {
            f = entries.get(index);
            if (f == null) {
                f = new CompletableFuture<>();
                entries.put(index, f);
                load = true;
                misses++;
                var it = entries.entrySet().iterator();
                while (entries.size() > capacity) {
                    it.next();
                    it.remove();
                }
            } else {
                hits++;
            }
        }
        if (load) {
            try {
                f.complete(loader.load(index));
            } catch (IOException | RuntimeException | Error e) {
                synchronized (this) {
                    entries.remove(index, f);
                }
                f.completeExceptionally(e);
                throw e;
            }
        }
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for chunk " + index);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw new IOException(io.getMessage(), io);
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IOException("loading chunk " + index + " failed: " + e.getCause(), e.getCause());
        }
    }

    /** The chunk when it is cached and loaded, else null (no load, no recency change). */
    synchronized byte[] getIfPresent(long index) {
        CompletableFuture<byte[]> f = entries.get(index);
        return f != null && f.isDone() && !f.isCompletedExceptionally() ? f.join() : null;
    }

    synchronized int size() {
        return entries.size();
    }

    synchronized long hits() {
        return hits;
    }

    synchronized long misses() {
        return misses;
    }
}
