package dev.stillpoint.repository;

import dev.stillpoint.repository.store.Store;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Removes unreferenced data under an exclusive lock. Order (each step durable before the next,
 * so a crash anywhere leaves every snapshot readable):
 * <ol>
 *   <li>read every manifest (any unreadable manifest aborts: its chunks would look unused);</li>
 *   <li>delete temp files and packs without an index (orphans of interrupted writes);</li>
 *   <li>copy live chunks of partly used packs into new packs (pack + index durable);</li>
 *   <li>rewrite the index as index sets without the fully unused and repacked packs
 *       ({@link IndexCompactor#rewrite}), then delete those packs.</li>
 * </ol>
 * After a crash between 3 and 4 a chunk may be indexed twice (harmless) or a pack left
 * without an index (an orphan the next prune removes).
 */
final class Pruner {
    private final FileRepository repo;

    Pruner(FileRepository repo) {
        this.repo = repo;
    }

    PruneResult run(ProgressListener progress) throws IOException {
        ChunkIndex index = ChunkIndex.load(repo.store(), repo.crypto());
        if (!index.loadErrors().isEmpty())
            throw new RepositoryException(
                    RepositoryException.Code.CORRUPT,
                    "prune refuses to run: damaged index files: " + index.loadErrors()
                            + "; run check and repair the index first");
        // a pack whose file is missing holds nothing to keep: the copies that exist elsewhere must count
        List<Store.Entry> dataFiles = repo.dataFiles(); // one walk of data/ for the missing packs and the orphans
        Set<String> onDisk = new HashSet<>();
        for (Store.Entry p : dataFiles) onDisk.add(baseName(p.name()));
        Set<String> missing = new HashSet<>(index.packs().keySet());
        missing.removeAll(onDisk);
        index.forget(missing);
        ChunkIndex.Marks used = index.marks();
        for (String id : repo.snapshotIds()) {
            Manifest m;
            try {
                m = repo.loadManifest(id);
            } catch (RepositoryException e) {
                throw new RepositoryException(
                        e.code(), "prune refuses to run: " + e.getMessage() + " (its chunks would look unused)", e);
            }
            for (int c = 0; c < m.count(); c++) {
                ChunkId cid = m.chunk(c);
                if (cid != null) used.mark(cid);
            }
        }
        repo.upgradeFormat(); // index sets below
        int tmpRemoved = 0;
        for (Store.Entry p : repo.store().list("tmp/")) {
            repo.store().delete(p.name());
            tmpRemoved++;
        }
        long freed = 0;
        int deleted = 0;
        long chunksRemoved = 0;
        // orphans: packs on disk without index
        for (Store.Entry p : dataFiles) {
            String name = baseName(p.name());
            if (Hex.isHex(name, 64) && !index.packs().containsKey(name)) {
                freed += p.size();
                repo.store().delete(p.name());
                deleted++;
            }
        }
        // classify indexed packs (a chunk stored twice counts once, at the copy the index serves)
        List<ChunkIndex.PackInfo> unused = new ArrayList<>();
        List<ChunkIndex.PackInfo> partial = new ArrayList<>();
        for (ChunkIndex.PackInfo p : index.packs().values()) {
            int live = used.marked(p);
            if (live == 0) unused.add(p);
            else if (live < p.size()) partial.add(p);
        }
        long totalWork = partial.stream().mapToLong(ChunkIndex.PackInfo::length).sum();
        long work = 0;
        int written = 0;
        long newBytes = 0;
        if (!partial.isEmpty()) {
            try (PackWriter pw = repo.newPackWriter()) {
                for (ChunkIndex.PackInfo p : partial) {
                    try (Store.Reader ch = repo.store().reader(FileRepository.packName(p.packId()), false)) {
                        for (int i = 0; i < p.size(); i++) {
                            if (!used.marked(p, i)) {
                                chunksRemoved++;
                                continue;
                            }
                            PackEntry e = p.entry(i);
                            byte[] b = ch.readFully(e.offset(), e.length());
                            if (b == null)
                                throw new RepositoryException(
                                        RepositoryException.Code.CORRUPT,
                                        "pack " + p.packId() + " is truncated; run check");
                            pw.add(e.id(), b, e.rawLength());
                        }
                    }
                    work += p.length();
                    progress.progress(work, totalWork);
                }
                pw.flush();
                written = pw.packsWritten();
                newBytes = pw.storedBytes();
                // without encryption a new pack can be byte for byte an existing one (e.g. the copy an
                // interrupted prune made, unused now): it is the same file, and it holds the copies
                Set<String> fresh = pw.published();
                unused.removeIf(p -> fresh.contains(p.packId()));
                partial.removeIf(p -> fresh.contains(p.packId()));
            }
        }
        for (ChunkIndex.PackInfo p : unused) chunksRemoved += p.size();
        List<ChunkIndex.PackInfo> remove = new ArrayList<>(unused);
        remove.addAll(partial);
        if (remove.isEmpty()) {
            IndexCompactor.compactSmall(repo);
        } else {
            // the index without the removed packs (with the repacked ones) is durable before any pack goes
            repo.refreshIndex();
            Set<String> gone = new HashSet<>();
            for (ChunkIndex.PackInfo p : remove) gone.add(p.packId());
            List<ChunkIndex.PackInfo> keep = new ArrayList<>();
            for (ChunkIndex.PackInfo p : repo.index().packs().values()) if (!gone.contains(p.packId())) keep.add(p);
            IndexCompactor.rewrite(repo, keep);
        }
        for (ChunkIndex.PackInfo p : remove) {
            Store.Entry f = repo.store().stat(FileRepository.packName(p.packId()));
            if (f != null) {
                freed += f.size();
                repo.store().delete(f.name());
                deleted++;
            }
        }
        repo.refreshIndex();
        return new PruneResult(deleted, partial.size(), written, chunksRemoved, freed - newBytes, tmpRemoved);
    }

    private static String baseName(String name) {
        return name.substring(name.lastIndexOf('/') + 1);
    }
}
