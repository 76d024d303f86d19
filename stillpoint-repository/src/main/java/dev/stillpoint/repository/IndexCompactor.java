package dev.stillpoint.repository;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keeps the number of index files small. Every published pack gets its own index file
 * ({@code index/<packId>}, written right after the pack so an interrupted backup leaves nothing
 * unindexed), so a repository would otherwise grow one file per 32 MiB pack (tens of thousands
 * per TiB) and every open would read them all: ~0.13 ms each from the page cache, a disk seek
 * each from a cold cache or a network filesystem. This merges them into index sets
 * ({@code index/set-<sha256>}, up to {@link #SET_ENTRIES} chunks each).
 *
 * <p>Safe beside readers and other writers: a set is durable before the files it replaces are
 * deleted, so at every moment every pack is listed by at least one file (a reader that finds a
 * listed file gone lists the directory again). Two processes merging the same files at once
 * leave two sets listing the same packs, which is harmless (any copy serves) and merged away
 * later.
 */
final class IndexCompactor {
    /** Chunks per index set at most (~6 MiB of entries); a pack is never split across sets. */
    static final int SET_ENTRIES = 1 << 17;
    /** Small index files (a pack's own, or a set under half full) tolerated before merging. */
    static final int MAX_SMALL_FILES = 16;

    private IndexCompactor() {}

    /**
     * Merges the small index files into sets when there are more than {@link #MAX_SMALL_FILES}
     * (under any lock; nothing in a version-1 repository). Returns the number of files removed.
     */
    static int compactSmall(FileRepository repo) throws IOException {
        if (!repo.config().indexSets()) return 0; // a version-1 repository until prune upgrades it
        repo.refreshIndex();
        ChunkIndex index = repo.index();
        Map<String, List<String>> small = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> f : index.files().entrySet()) {
            if (entries(index, f.getValue()) < SET_ENTRIES / 2) small.put(f.getKey(), f.getValue());
        }
        if (small.size() <= MAX_SMALL_FILES) return 0;
        // an append-only key could write the set but not remove what it merges: each backup would add one more
        if (!repo.mayDelete()) return 0;
        Map<String, ChunkIndex.PackInfo> packs = new LinkedHashMap<>();
        Set<String> merged = new HashSet<>();
        for (Map.Entry<String, List<String>> f : small.entrySet()) {
            // a file is replaced only when every pack it lists is in memory to be written again
            List<ChunkIndex.PackInfo> listed = new ArrayList<>();
            for (String id : f.getValue()) {
                ChunkIndex.PackInfo p = index.packs().get(id);
                if (p == null) {
                    listed = null;
                    break;
                }
                listed.add(p);
            }
            if (listed == null) continue;
            for (ChunkIndex.PackInfo p : listed) packs.put(p.packId(), p);
            merged.add(f.getKey());
        }
        Set<String> written = writeSets(repo, packs.values());
        return delete(repo, merged, written);
    }

    /**
     * Rewrites the whole index as sets listing exactly {@code packs}, then deletes every other
     * index file (exclusive lock only: packs left out are no longer indexed). Returns the number
     * of files removed.
     */
    static int rewrite(FileRepository repo, Collection<ChunkIndex.PackInfo> packs) throws IOException {
        if (!repo.config().indexSets())
            throw new IllegalStateException("index sets in a version-1 repository (upgradeFormat first)");
        Set<String> written = writeSets(repo, packs);
        Set<String> old = new HashSet<>();
        for (String p : ChunkIndex.listIndex(repo.store())) {
            String name = p.substring(p.lastIndexOf('/') + 1);
            if (ChunkIndex.isIndexFile(name)) old.add(name);
        }
        return delete(repo, old, written);
    }

    /** Writes {@code packs} as index sets (durable); returns their file names. */
    private static Set<String> writeSets(FileRepository repo, Collection<ChunkIndex.PackInfo> packs)
            throws IOException {
        List<ChunkIndex.PackInfo> sorted = new ArrayList<>(packs);
        sorted.sort(java.util.Comparator.comparing(ChunkIndex.PackInfo::packId));
        Set<String> names = new HashSet<>();
        List<ChunkIndex.PackInfo> batch = new ArrayList<>();
        long entries = 0;
        for (ChunkIndex.PackInfo p : sorted) {
            if (!batch.isEmpty() && entries + p.size() > SET_ENTRIES) {
                names.add(writeSet(repo, batch));
                batch.clear();
                entries = 0;
            }
            batch.add(p);
            entries += p.size();
        }
        if (!batch.isEmpty()) names.add(writeSet(repo, batch));
        return names;
    }

    private static String writeSet(FileRepository repo, List<ChunkIndex.PackInfo> packs) throws IOException {
        byte[] file = PackFormat.indexSetFile(repo.crypto(), packs);
        String name = ChunkIndex.SET_PREFIX + Hex.of(Crypto.sha256(file, 0, file.length));
        repo.putOnce("index/" + name, file);
        repo.index()
                .noteFile(name, packs.stream().map(ChunkIndex.PackInfo::packId).toList());
        return name;
    }

    /** Deletes the index files {@code names} except {@code keep}, makes it durable, refreshes the index. */
    private static int delete(FileRepository repo, Set<String> names, Set<String> keep) throws IOException {
        int n = 0;
        for (String name : names) {
            if (!keep.contains(name) && repo.store().delete("index/" + name)) n++;
        }
        repo.store().sync("index/");
        repo.refreshIndex();
        return n;
    }

    private static long entries(ChunkIndex index, List<String> packIds) {
        long n = 0;
        for (String id : packIds) {
            ChunkIndex.PackInfo p = index.packs().get(id);
            if (p != null) n += p.size();
        }
        return n;
    }
}
