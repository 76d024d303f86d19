package dev.stillpoint.repository;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.repository.store.Store;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Repository locks: one file per holder in {@code locks/}, JSON {@code {exclusive, host, pid,
 * pidStart, created, expires}}. Shared locks (backup, restore, check) coexist; an exclusive lock
 * (forget, prune) excludes every other lock. Acquire = publish own file, then look at the others;
 * on conflict remove own file and fail with LOCKED (two racing acquirers may both fail, never
 * both succeed). A lock is stale when its lease expired (holders refresh it every
 * {@code lease/4}) or when it was taken on this host by a process that no longer runs (pid +
 * start time); stale locks are deleted by whoever finds them. The same on every store: on S3
 * the lock objects are leases that only their expiry makes stale across hosts (the pid check
 * applies to locks of this host only).
 */
final class LockManager implements AutoCloseable {
    static final Duration LEASE = Duration.ofMinutes(5);
    private static final String HOST = hostName();

    private final Store store;
    private final Set<Held> held = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService refresher;

    final class Held implements AutoCloseable {
        final String file;
        final boolean exclusive;
        /** Set by a refresh that found the lock object gone. */
        private volatile boolean lost;
        /** When the lease was last written (acquired or refreshed). */
        private volatile Instant renewed = Instant.now();

        Held(String file, boolean exclusive) {
            this.file = file;
            this.exclusive = exclusive;
        }

        /**
         * LOCKED when this holder may have lost the lock: its lease lapsed (refreshes failed for
         * a whole lease, e.g. the store was unreachable) or another process removed the lock
         * object as stale. Writers call it before publishing a snapshot.
         */
        void verify() throws IOException {
            if (lost || Duration.between(renewed, Instant.now()).compareTo(LEASE) >= 0 || store.stat(file) == null)
                throw lostLock();
        }

        /**
         * As {@link #verify} without asking the store: what the last refresh found (the lock
         * object gone) or the lease's age. Cheap: writers call it on every write, so a job that
         * lost its lock stops at once instead of at its commit.
         */
        void checkNotLost() throws RepositoryException {
            if (lost || Duration.between(renewed, Instant.now()).compareTo(LEASE) >= 0) throw lostLock();
        }

        private RepositoryException lostLock() {
            return new RepositoryException(
                    RepositoryException.Code.LOCKED,
                    "the lock " + RepoConfig.where(store, file) + " was lost (its lease of " + LEASE.toMinutes()
                            + " min lapsed at " + renewed.plus(LEASE)
                            + ", or another process removed it as stale); nothing was committed, run again");
        }

        @Override
        public synchronized void close() throws IOException {
            if (held.remove(this)) store.delete(file);
        }

        synchronized void refresh() throws IOException {
            if (!held.contains(this) || lost) return;
            Instant at = Instant.now();
            if (store.stat(file) == null) { // removed as stale by another process: never taken again silently
                lost = true;
                return;
            }
            store.replace(file, content(exclusive));
            renewed = at;
        }
    }

    LockManager(Store store) {
        this.store = store;
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "stillpoint-lock-refresh");
            t.setDaemon(true);
            return t;
        });
        long period = Long.getLong("stillpoint.lock.refreshMillis", LEASE.toMillis() / 4);
        refresher.scheduleAtFixedRate(this::refreshAll, period, period, TimeUnit.MILLISECONDS);
    }

    Held shared() throws IOException {
        return acquire(false);
    }

    Held exclusive() throws IOException {
        return acquire(true);
    }

    private Held acquire(boolean exclusive) throws IOException {
        String own = "locks/" + Hex.of(Crypto.random(16));
        // a local store keeps the temp files of lock writes in locks/ itself (*.tmp): prune
        // empties tmp/ while it holds the exclusive lock, and a lock being acquired holds nothing yet
        store.put(own, content(exclusive));
        Held h = new Held(own, exclusive);
        held.add(h);
        {
            for (Store.Entry p : store.list("locks/")) {
                if (p.name().equals(own)) continue;
                if (p.name().endsWith(".tmp")) {
                    if (staleTemp(p)) deleteStale(p.name());
                    continue;
                }
                Map<String, Object> other = readLock(p);
                if (other == null) continue;
                if (isStale(other)) {
                    deleteStale(p.name());
                    continue;
                }
                boolean otherExclusive = Boolean.TRUE.equals(other.get("exclusive"));
                if (exclusive || otherExclusive) {
                    h.close();
                    throw new RepositoryException(
                            RepositoryException.Code.LOCKED,
                            "repository is locked " + (otherExclusive ? "exclusively" : "(shared)")
                                    + " by pid " + other.get("pid") + " on " + other.get("host") + " since "
                                    + other.get("created")
                                    + " (lock file " + RepoConfig.where(store, p.name()) + "); "
                                    + (exclusive ? "this operation needs an exclusive lock" : "wait for it to finish"));
                }
            }
        }
        return h;
    }

    /**
     * Removes the stale locks (lease expired, or taken on this host by a process that is gone),
     * or, with {@code all}, every lock but this manager's own: for an operator who knows that no
     * other process uses the repository (a host that died mid-backup leaves a lease that only
     * expires after {@link #LEASE}). Returns the removed locks' contents, each with its
     * {@code file} name and whether it was {@code stale}. Takes no lock itself.
     */
    java.util.List<Map<String, Object>> removeLocks(boolean all) throws IOException {
        java.util.List<Map<String, Object>> removed = new java.util.ArrayList<>();
        java.util.Set<String> own = new java.util.HashSet<>();
        for (Held h : held) own.add(h.file);
        for (Store.Entry p : store.list("locks/")) {
            if (own.contains(p.name())) continue;
            boolean tmp = p.name().endsWith(".tmp");
            Map<String, Object> lock = tmp ? null : readLock(p);
            if (!tmp && lock == null) continue; // removed meanwhile
            boolean stale = tmp ? staleTemp(p) : isStale(lock);
            if (!stale && !all) continue;
            store.delete(p.name());
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("file", RepoConfig.where(store, p.name()));
            r.put("stale", stale);
            if (lock != null) r.putAll(lock);
            removed.add(r);
        }
        return removed;
    }

    /**
     * Removes another holder's stale lock; an append-only key may remove only its own locks, and a
     * stale lock it may not remove is ignored all the same (a privileged run removes it).
     */
    private void deleteStale(String name) throws IOException {
        try {
            store.delete(name);
        } catch (RepositoryException e) {
            if (e.code() != RepositoryException.Code.ACCESS_DENIED) throw e;
        }
    }

    private Map<String, Object> readLock(Store.Entry p) throws IOException {
        byte[] data;
        try {
            data = store.get(p.name());
        } catch (NoSuchFileException e) {
            return null;
        }
        try {
            return JSON.std.mapFrom(data);
        } catch (IOException | RuntimeException e) {
            // unreadable (a torn write cannot be published; treat as foreign but expiring by mtime)
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("exclusive", true);
            r.put("expires", p.modified().plus(LEASE).toString());
            r.put("host", "?");
            return r;
        }
    }

    /** A lock write's temp file ({@code *.tmp}) older than a lease: its writer is gone. */
    private static boolean staleTemp(Store.Entry p) {
        return p.modified().isBefore(Instant.now().minus(LEASE));
    }

    static boolean isStale(Map<String, Object> lock) {
        try {
            if (Instant.parse(String.valueOf(lock.get("expires"))).isBefore(Instant.now())) return true;
        } catch (RuntimeException e) {
            return true;
        }
        if (HOST.equals(lock.get("host")) && lock.get("pid") instanceof Number pid) {
            var ph = ProcessHandle.of(pid.longValue());
            if (ph.isEmpty() || !ph.get().isAlive()) return true;
            Object start = lock.get("pidStart");
            var actual = ph.get().info().startInstant();
            if (start != null && actual.isPresent() && !actual.get().toString().equals(start))
                return true; // pid reused
        }
        return false;
    }

    private byte[] content(boolean exclusive) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("exclusive", exclusive);
        m.put("host", HOST);
        m.put("pid", ProcessHandle.current().pid());
        ProcessHandle.current().info().startInstant().ifPresent(i -> m.put("pidStart", i.toString()));
        m.put("created", Instant.now().toString());
        m.put("expires", Instant.now().plus(LEASE).toString());
        return JSON.std.asBytes(m);
    }

    private void refreshAll() {
        for (Held h : held) {
            try {
                h.refresh();
            } catch (IOException | RuntimeException e) {
                // next refresh retries; the lease is long enough to miss a few
            }
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    @Override
    public void close() throws IOException {
        refresher.shutdownNow();
        for (Held h : held) h.close();
    }
}
