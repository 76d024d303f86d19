package dev.stillpoint.repository;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code copy}: snapshots and the records naming them from one repository into another (restic's
 * {@code copy}), sending only the chunks the target lacks. Shared locks on both.
 *
 * <p>Chunk ids are keyed per repository (encrypted ones hash under their own secret id key), so
 * in general a chunk's id in the target is known only from its plaintext: each chunk of a
 * snapshot is read and decrypted from the source, hashed under the target's key, and sent
 * (compressed and encrypted for the target) only when the target's index lacks that id. Two
 * shortcuts avoid the reading: when both repositories name chunks alike ({@code sameChunkIds}:
 * unencrypted with the same hash, or the same master key), an id the target has is skipped
 * unread; and otherwise the chunks a snapshot shares with an earlier snapshot of the same image
 * that is already in the target (its parent, else the newest older one of the same name) take
 * that copy's ids without being read. So copying a 2% changed point reads and sends ~2%.
 *
 * <p>Order and resumption: a snapshot's chunks are sent into packs that are durable and indexed
 * (as in a backup) before its manifest is written; its records only after all their snapshots.
 * A copy killed at any point leaves unreferenced packs at most (prune removes them); a rerun finds
 * the chunks already indexed and sends the rest. A copied manifest carries {@code original} (the
 * id of the snapshot where it was first written), by which reruns, and copies of copies, find
 * what the target holds already.
 */
final class RepositoryCopier {
    private final FileRepository from;
    private final FileRepository to;
    private final ProgressListener progress;
    private final boolean sameIds;

    private final AtomicLong done = new AtomicLong();
    private long total;
    private final AtomicLong chunksSent = new AtomicLong();
    private final AtomicLong chunkBytesSent = new AtomicLong();
    private final AtomicLong chunksRead = new AtomicLong();
    private long bytesSent;

    RepositoryCopier(FileRepository from, FileRepository to, ProgressListener progress) {
        this.from = from;
        this.to = to;
        this.progress = progress == null ? ProgressListener.NONE : progress;
        byte[] probe = "stillpoint copy: do both repositories name chunks alike?".getBytes();
        this.sameIds =
                from.crypto().id(probe, 0, probe.length).equals(to.crypto().id(probe, 0, probe.length));
    }

    CopyResult run(Collection<String> wanted) throws IOException {
        if (from.config().chunkSize() != to.config().chunkSize())
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "cannot copy between repositories of different chunk sizes ("
                            + from.config().chunkSize() + " and " + to.config().chunkSize()
                            + " bytes): the target would have to re-chunk every image");
        if (from.store().location().equals(to.store().location()))
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "--from and --to name the same repository (" + from.store().location() + ")");
        try (LockManager.Held src = from.locks().shared();
                LockManager.Held dst = to.locks().shared()) {
            from.refreshIndex();
            to.refreshIndex();
            // every source manifest once: its info, and its origin (its original, else itself)
            List<SnapshotInfo> all = new ArrayList<>();
            Map<String, String> origins = new HashMap<>();
            for (String sid : from.snapshotIds()) {
                Manifest m;
                try {
                    m = from.loadManifest(sid);
                } catch (RepositoryException e) {
                    if (e.code() == RepositoryException.Code.NOT_FOUND) continue; // forgotten meanwhile
                    throw e;
                }
                all.add(m.info(sid));
                origins.put(sid, m.original != null ? m.original : sid);
            }
            all.sort(Comparator.comparing(SnapshotInfo::time).thenComparing(SnapshotInfo::id));
            Map<String, SnapshotInfo> byId = new HashMap<>();
            for (SnapshotInfo s : all) byId.put(s.id(), s);
            Set<String> ids = new LinkedHashSet<>();
            for (String w : wanted)
                ids.add(byId.containsKey(w) ? w : from.snapshot(w).id());
            List<SnapshotInfo> selected = all.stream()
                    .filter(s -> ids.contains(s.id()))
                    .toList(); // oldest first: a parent before its children

            // what the target holds: the origin of each of its snapshots -> its id there
            Map<String, String> held = new HashMap<>();
            for (String tid : to.snapshotIds()) {
                Manifest m;
                try {
                    m = to.loadManifest(tid);
                } catch (RepositoryException e) {
                    if (e.code() == RepositoryException.Code.NOT_FOUND) continue;
                    throw e;
                }
                held.put(tid, tid);
                if (m.original != null) held.put(m.original, tid);
            }
            // source id -> target id, for every source snapshot the target holds (also ones not asked for: bases)
            Map<String, String> copies = new HashMap<>();
            for (SnapshotInfo s : all) {
                String t = held.get(origins.get(s.id()));
                if (t == null) t = held.get(s.id());
                if (t != null) copies.put(s.id(), t);
            }
            for (SnapshotInfo s : selected) if (!copies.containsKey(s.id())) total += s.allocatedBytes();
            progress.progress(0, total);

            int copied = 0, skipped = 0;
            Map<String, String> result = new LinkedHashMap<>();
            for (SnapshotInfo s : selected) {
                String t = copies.get(s.id());
                if (t != null) {
                    skipped++;
                } else {
                    t = copySnapshot(s, origins.get(s.id()), copies, all, dst);
                    copies.put(s.id(), t);
                    copied++;
                }
                result.put(s.id(), t);
            }
            int[] records = copyRecords(ids, copies, dst);
            try {
                IndexCompactor.compactSmall(to);
            } catch (IOException | RuntimeException e) {
                // everything is durable and indexed; merging small index files is for the next writer
            }
            progress.progress(total, total);
            return new CopyResult(
                    copied,
                    skipped,
                    records[0],
                    records[1],
                    chunksSent.get(),
                    chunkBytesSent.get(),
                    bytesSent,
                    chunksRead.get(),
                    sameIds,
                    result);
        }
    }

    private String copySnapshot(
            SnapshotInfo s, String origin, Map<String, String> copies, List<SnapshotInfo> all, LockManager.Held dst)
            throws IOException {
        Manifest m = from.loadManifest(s.id());
        // source chunk id -> target chunk id, seeded from an earlier snapshot of this image already in the target
        Map<ChunkId, ChunkId> known = new ConcurrentHashMap<>();
        if (!sameIds) seed(known, s, copies, all);
        byte[] ids = new byte[m.chunks.length];
        Set<ChunkId> pending = ConcurrentHashMap.newKeySet();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int window = Math.max(2, from.readAhead());
        Semaphore inflight = new Semaphore(window);
        try (PackWriter packs = to.newPackWriter()) {
            for (int c = 0; c < m.count(); c++) {
                ChunkId cid = m.chunk(c);
                int len = m.chunkLength(c);
                if (cid == null) continue; // a hole stays a hole (zero id)
                ChunkId tid = sameIds ? (to.index().contains(cid) ? cid : null) : known.get(cid);
                if (tid != null) {
                    tid.copyTo(ids, c * 32);
                    advance(len);
                    continue;
                }
                if (failure.get() != null) break;
                acquire(inflight);
                int at = c;
                try {
                    from.readers().execute(() -> {
                        try {
                            ChunkId t = transfer(cid, len, known, pending, packs);
                            synchronized (ids) {
                                t.copyTo(ids, at * 32);
                            }
                            advance(len);
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        } finally {
                            inflight.release();
                        }
                    });
                } catch (RuntimeException e) {
                    inflight.release();
                    throw new IOException("cannot schedule chunk copy: " + e, e);
                }
            }
            acquire(inflight, window);
            inflight.release(window);
            Throwable f = failure.get();
            if (f instanceof IOException io) throw io;
            if (f instanceof RuntimeException re) throw re;
            if (f instanceof Error er) throw er;
            packs.flush();
            bytesSent += packs.storedBytes();
            String parent = m.parent == null ? null : copies.get(m.parent);
            Manifest copy = new Manifest(
                    m.name,
                    m.time,
                    m.size,
                    m.chunkSize,
                    parent,
                    m.tags,
                    m.allocatedBytes,
                    packs.storedBytes(),
                    ids,
                    origin);
            dst.verify(); // a copy whose lease lapsed may have lost its packs to a prune
            return to.writeManifest(copy);
        }
    }

    /** Reads a chunk from the source, names it for the target and sends it unless the target has it. */
    private ChunkId transfer(ChunkId cid, int len, Map<ChunkId, ChunkId> known, Set<ChunkId> pending, PackWriter packs)
            throws IOException {
        ChunkId again = known.get(cid); // an equal chunk earlier in this image
        if (again != null) return again;
        byte[] raw = new byte[from.config().chunkSize()];
        int n = from.readChunkInto(cid, raw);
        chunksRead.incrementAndGet();
        if (n != len)
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT,
                    "chunk " + cid.hex() + " holds " + n + " bytes, its snapshot needs " + len);
        ChunkId tid = sameIds ? cid : to.crypto().id(raw, 0, n);
        if (!to.index().contains(tid) && pending.add(tid)) {
            BlobCodec.Encoded blob = BlobCodec.encodeScratch(
                    to.crypto(), tid, raw, n, to.config().compressionLevel());
            packs.add(tid, blob.bytes(), blob.length(), n);
            chunksSent.incrementAndGet();
            chunkBytesSent.addAndGet(n);
        }
        known.put(cid, tid);
        return tid;
    }

    /**
     * Fills {@code known} from the snapshot pair (source, its copy in the target) this one most
     * likely shares chunks with: its parent, else the newest older snapshot of the same image.
     */
    private void seed(Map<ChunkId, ChunkId> known, SnapshotInfo s, Map<String, String> copies, List<SnapshotInfo> all)
            throws IOException {
        String base = s.parent() != null && copies.containsKey(s.parent()) ? s.parent() : null;
        if (base == null) {
            for (SnapshotInfo o : all) {
                if (o.id().equals(s.id())
                        || !o.name().equals(s.name())
                        || o.time().isAfter(s.time())) continue;
                if (copies.containsKey(o.id())) base = o.id();
            }
        }
        if (base == null) return;
        Manifest a = from.loadManifest(base);
        Manifest b = to.loadManifest(copies.get(base));
        int n = Math.min(a.count(), b.count());
        for (int c = 0; c < n; c++) {
            ChunkId x = a.chunk(c), y = b.chunk(c);
            if (x != null && y != null) known.put(x, y);
        }
    }

    /** Copies the records whose snapshots were all asked for; returns {copied, skipped}. */
    private int[] copyRecords(Set<String> asked, Map<String, String> copies, LockManager.Held dst) throws IOException {
        Set<String> there = new HashSet<>();
        for (RepositoryRecord r : to.records()) there.add(key(r.name(), r.snapshots(), r.body()));
        int copied = 0, skipped = 0;
        for (RepositoryRecord r : from.records()) {
            if (r.snapshots().isEmpty() || !asked.containsAll(r.snapshots().values())) continue;
            Map<String, String> mapped = new TreeMap<>();
            for (Map.Entry<String, String> e : r.snapshots().entrySet())
                mapped.put(e.getKey(), copies.get(e.getValue()));
            if (mapped.containsValue(null)) continue; // cannot happen: every asked snapshot is in the target now
            if (there.add(key(r.name(), mapped, r.body()))) {
                dst.verify();
                to.writeRecord(r.name(), r.time(), mapped, r.body());
                copied++;
            } else {
                skipped++;
            }
        }
        return new int[] {copied, skipped};
    }

    private static String key(String name, Map<String, String> snapshots, String body) {
        return name + "\n" + new TreeMap<>(snapshots) + "\n" + body;
    }

    private void advance(long len) {
        progress.progress(done.addAndGet(len), total);
    }

    private static void acquire(Semaphore s) throws IOException {
        acquire(s, 1);
    }

    private static void acquire(Semaphore s, int permits) throws IOException {
        try {
            s.acquire(permits);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while copying");
        }
    }
}
