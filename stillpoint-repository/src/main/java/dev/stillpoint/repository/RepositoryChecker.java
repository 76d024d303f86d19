package dev.stillpoint.repository;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Structure and data verification; collects findings instead of stopping at the first. */
final class RepositoryChecker {
    private final FileRepository repo;
    private final List<String> errors = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final Map<ChunkId, String[]> damaged = new LinkedHashMap<>(); // id -> {packId, reason}

    RepositoryChecker(FileRepository repo) {
        this.repo = repo;
    }

    CheckReport run(int readDataPercent, ProgressListener progress) throws IOException {
        if (readDataPercent < 0 || readDataPercent > 100)
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "read-data percent: " + readDataPercent + " is out of range 0..100");
        ChunkIndex index = ChunkIndex.load(repo.store(), repo.crypto());
        for (String e : index.loadErrors()) errors.add(e + " (index can be rebuilt from pack headers)");

        Map<String, Long> onDisk = packsOnDisk();
        for (ChunkIndex.PackInfo p : index.packs().values()) {
            if (!onDisk.containsKey(p.packId())) {
                errors.add("pack " + p.packId() + " is missing (" + p.entries().size() + " chunks)");
                for (PackEntry e : p.entries()) damaged.putIfAbsent(e.id(), new String[] {p.packId(), "pack missing"});
                continue;
            }
            long size = onDisk.get(p.packId());
            if (size != p.length()) {
                errors.add("pack " + p.packId() + " has " + size + " bytes, index says " + p.length()
                        + " (truncated or damaged)");
            }
        }
        for (String id : onDisk.keySet()) {
            if (!index.packs().containsKey(id))
                warnings.add(
                        "pack " + id + " is not indexed (left by an interrupted backup or prune; prune removes it)");
        }

        // snapshots and the chunks they need, one manifest in memory at a time (a manifest is 32
        // bytes per chunk of its image: hundreds of snapshots of large disks would not fit at once)
        List<String> snapshots = new ArrayList<>();
        for (String id : repo.snapshotIds()) {
            Manifest m;
            try {
                m = repo.loadManifest(id);
            } catch (RepositoryException e) {
                if (e.code() != RepositoryException.Code.NOT_FOUND) errors.add(e.getMessage());
                continue;
            }
            snapshots.add(id);
            for (int c = 0; c < m.count(); c++) {
                ChunkId cid = m.chunk(c);
                if (cid != null && index.get(cid) == null)
                    damaged.putIfAbsent(cid, new String[] {"-", "missing (in no indexed pack)"});
            }
        }

        // records (what a new host rebuilds its catalog from): readable, naming snapshots that exist
        java.util.Set<String> present = new java.util.HashSet<>(snapshots);
        for (String id : repo.recordIds()) {
            RepositoryRecord r;
            try {
                r = repo.loadRecord(id);
            } catch (RepositoryException e) {
                errors.add(e.getMessage());
                continue;
            }
            if (r == null) continue;
            for (Map.Entry<String, String> e : r.snapshots().entrySet())
                if (!present.contains(e.getValue()))
                    warnings.add("record " + id + " (" + r.name() + "): snapshot " + e.getValue() + " (" + e.getKey()
                            + ") is not in the repository (forgotten)");
        }

        // data
        List<ChunkIndex.PackInfo> toRead = new ArrayList<>();
        for (ChunkIndex.PackInfo p : index.packs().values()) if (onDisk.containsKey(p.packId())) toRead.add(p);
        Collections.shuffle(toRead);
        int n = readDataPercent == 0 ? 0 : (int) Math.max(1, Math.ceil(toRead.size() * readDataPercent / 100.0));
        toRead = toRead.subList(0, Math.min(n, toRead.size()));
        long total = toRead.stream().mapToLong(ChunkIndex.PackInfo::length).sum();
        long bytesRead = 0;
        PackRead previous = null; // verified by the workers while the next pack is read
        for (ChunkIndex.PackInfo p : toRead) {
            PackRead r = readPack(p);
            if (previous != null) {
                bytesRead += finish(previous);
                progress.progress(bytesRead, total);
            }
            previous = r;
        }
        if (previous != null) {
            bytesRead += finish(previous);
            progress.progress(bytesRead, total);
        }

        List<CheckReport.DamagedChunk> dc = new ArrayList<>();
        if (!damaged.isEmpty()) {
            // which snapshots use them: the manifests are read a second time (only when something is damaged)
            Map<ChunkId, List<String>> users = new HashMap<>();
            for (String sid : snapshots) {
                Manifest m;
                try {
                    m = repo.loadManifest(sid);
                } catch (RepositoryException e) {
                    continue; // read in the first pass; forget needs the exclusive lock, so only damage since then
                }
                Set<ChunkId> seen = new HashSet<>();
                for (int c = 0; c < m.count(); c++) {
                    ChunkId id = m.chunk(c);
                    if (id != null && damaged.containsKey(id) && seen.add(id))
                        users.computeIfAbsent(id, k -> new ArrayList<>()).add(sid);
                }
            }
            for (var e : damaged.entrySet()) {
                List<String> u = users.getOrDefault(e.getKey(), List.of());
                dc.add(new CheckReport.DamagedChunk(e.getKey().hex(), e.getValue()[0], e.getValue()[1], u));
            }
        }
        return new CheckReport(
                snapshots.size(),
                index.packs().size(),
                toRead.size(),
                bytesRead,
                List.copyOf(errors),
                List.copyOf(warnings),
                List.copyOf(dc));
    }

    /** Pack id -> size of every pack in {@code data/}. */
    private Map<String, Long> packsOnDisk() throws IOException {
        Map<String, Long> out = new java.util.HashMap<>();
        for (dev.stillpoint.repository.store.Store.Entry p : repo.dataFiles()) {
            String name = p.name().substring(p.name().lastIndexOf('/') + 1);
            if (Hex.isHex(name, 64) && p.name().equals(FileRepository.packName(name))) out.put(name, p.size());
            else warnings.add("unexpected file " + RepoConfig.where(repo.store(), p.name()));
        }
        return out;
    }

    /** A pack read by this thread whose blobs the workers may still be verifying. */
    private record PackRead(
            ChunkIndex.PackInfo p, List<PackEntry> sorted, List<Future<String>> results, long size, boolean sumOk) {}

    /** Blobs handed to the workers and not yet verified, across packs: at most {@code 2 x threads} in memory. */
    private java.util.concurrent.Semaphore slots;

    /**
     * Streams one pack: this thread reads it in order while the workers verify the blobs; the
     * blobs must tile the file up to the header, and the SHA-256 of the tail (header and trailer)
     * must equal the pack id ({@link PackFormat#packId}; packs written before that rule are
     * accepted when the SHA-256 of the whole file matches); {@link #finish} collects the
     * verdicts (after the next pack has been read, so the workers never wait for the reader at
     * pack boundaries). Null when the pack disappeared.
     */
    private PackRead readPack(ChunkIndex.PackInfo p) throws IOException {
        List<PackEntry> sorted = new ArrayList<>(p.entries());
        sorted.sort(java.util.Comparator.comparingLong(PackEntry::offset));
        if (slots == null) slots = new java.util.concurrent.Semaphore(2 * repo.threads());
        java.util.concurrent.Semaphore slots = this.slots;
        List<Future<String>> results = new ArrayList<>();
        long pos = 0, size;
        boolean gaps = false, sumOk;
        String truncated = null;
        String file = FileRepository.packName(p.packId());
        try (dev.stillpoint.repository.store.Store.Reader ch = repo.store().reader(file, true)) {
            size = ch.size();
            PackReader reader = ch::readFully; // forward only (O_DIRECT locally, one streamed GET on S3)
            for (PackEntry e : sorted) {
                if (truncated != null || e.offset() < pos || e.offset() + e.length() > size) {
                    String why = truncated != null
                            ? truncated
                            : e.offset() < pos ? "overlaps the previous chunk in the index" : "truncated pack";
                    results.add(java.util.concurrent.CompletableFuture.completedFuture(why));
                    continue;
                }
                if (e.offset() > pos) gaps = true;
                byte[] blob = reader.read(e.offset(), e.length());
                if (blob == null) {
                    truncated = "truncated pack";
                    results.add(java.util.concurrent.CompletableFuture.completedFuture(truncated));
                    continue;
                }
                pos = e.offset() + e.length();
                try {
                    slots.acquire();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("check interrupted");
                }
                try {
                    results.add(repo.workers().submit(() -> {
                        try {
                            BlobCodec.verify(repo.crypto(), e.id(), blob, 0, blob.length, e.rawLength());
                            return null;
                        } catch (RepositoryException ex) {
                            return ex.getMessage();
                        } finally {
                            slots.release();
                        }
                    }));
                } catch (RuntimeException ex) {
                    slots.release();
                    throw ex;
                }
            }
            sumOk = !gaps && truncated == null && tailMatches(reader, size, pos, p.packId());
            if (!sumOk) { // a pack from before the tail rule is named by the SHA-256 of the whole file
                java.security.MessageDigest md = Crypto.newDigest();
                try (dev.stillpoint.repository.store.Store.Reader whole =
                        repo.store().reader(file, false)) {
                    hashRange(whole, md, 0, size);
                }
                sumOk = Hex.of(md.digest()).equals(p.packId());
            }
        } catch (NoSuchFileException e) {
            errors.add("pack " + p.packId() + " disappeared during check");
            return null;
        }
        return new PackRead(p, sorted, results, size, sumOk);
    }

    /** Waits for the verdicts on one pack's blobs and records the findings; returns the bytes read. */
    private long finish(PackRead read) throws IOException {
        if (read == null) return 0;
        ChunkIndex.PackInfo p = read.p();
        List<PackEntry> sorted = read.sorted();
        List<Future<String>> results = read.results();
        boolean sumOk = read.sumOk();
        int bad = 0;
        for (int i = 0; i < results.size(); i++) {
            String r;
            try {
                r = results.get(i).get();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("check interrupted");
            } catch (ExecutionException ex) {
                r = String.valueOf(ex.getCause());
            }
            if (r != null) {
                bad++;
                damaged.put(sorted.get(i).id(), new String[] {p.packId(), r});
            }
        }
        if (bad > 0)
            errors.add("pack " + p.packId() + ": " + bad + " of " + p.entries().size() + " chunks are damaged");
        long size = read.size();
        if (!sumOk && bad == 0) {
            try {
                PackFormat.readHeader(repo.crypto(), repo.store(), FileRepository.packName(p.packId()));
                errors.add("pack " + p.packId()
                        + ": content does not match its name (SHA-256) although every chunk verifies");
            } catch (RepositoryException ex) {
                errors.add("pack " + p.packId() + ": header damaged (" + ex.getMessage()
                        + "); chunks are intact, the index still serves them");
            }
        }
        return size;
    }

    /** True when the header starts right after the last blob ({@code blobsEnd}) and the tail hashes to the pack id. */
    private static boolean tailMatches(PackReader reader, long size, long blobsEnd, String packId) throws IOException {
        if (size - blobsEnd < 8 || size - blobsEnd > Integer.MAX_VALUE) return false;
        byte[] tail = reader.read(blobsEnd, (int) (size - blobsEnd));
        if (tail == null) return false;
        int hlen = java.nio.ByteBuffer.wrap(tail, tail.length - 8, 4).getInt();
        if (hlen != tail.length - 8) return false;
        return PackFormat.packId(tail).equals(packId);
    }

    private static void hashRange(
            dev.stillpoint.repository.store.Store.Reader ch, java.security.MessageDigest md, long from, long to)
            throws IOException {
        long pos = from;
        while (pos < to) {
            int n = (int) Math.min(1 << 20, to - pos);
            byte[] b = ch.readFully(pos, n);
            if (b == null) return;
            md.update(b);
            pos += n;
        }
    }

    /** Reads a pack front to back: {@code len} bytes at {@code pos}, or null at end of file. */
    @FunctionalInterface
    private interface PackReader {
        byte[] read(long pos, int len) throws IOException;
    }
}
