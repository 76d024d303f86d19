package dev.stillpoint.repository;

import dev.stillpoint.repository.store.Store;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * In-memory index: chunk id -> location, loaded from {@code index/*} at open and extended as
 * this process publishes packs. The same chunk may be in several packs (concurrent backups, an
 * interrupted prune); any copy serves.
 *
 * <p>Memory is what bounds the repository size a small heap can open, so the index is compact:
 * each pack keeps its entries in flat arrays (48 bytes per chunk: id, offset, lengths), and the
 * id lookup is an open-addressing table of {@code long} references (pack number, entry) at most
 * half full, about 64 bytes per chunk in all, a third of a map of objects. A 1 TiB repository
 * of 1 MiB chunks (~1-2 million chunks) needs 64-128 MiB. Lookups lock the table briefly.
 */
final class ChunkIndex {
    record Location(String packId, long offset, int length, int rawLength) {}

    /** One indexed pack; its entries are kept flat and materialised by {@link #entries()}. */
    static final class PackInfo {
        private final String packId;
        private final long length;
        final int number;
        final byte[] ids;
        final long[] offsets;
        final int[] lengths, rawLengths;

        /** The same entries under another number (the arrays are shared, never written after construction). */
        private PackInfo(PackInfo p, int number) {
            this.packId = p.packId;
            this.length = p.length;
            this.number = number;
            this.ids = p.ids;
            this.offsets = p.offsets;
            this.lengths = p.lengths;
            this.rawLengths = p.rawLengths;
        }

        PackInfo(String packId, long length, int number, List<PackEntry> entries) {
            this.packId = packId;
            this.length = length;
            this.number = number;
            int n = entries.size();
            ids = new byte[n * ChunkId.LENGTH];
            offsets = new long[n];
            lengths = new int[n];
            rawLengths = new int[n];
            for (int i = 0; i < n; i++) {
                PackEntry e = entries.get(i);
                e.id().copyTo(ids, i * ChunkId.LENGTH);
                offsets[i] = e.offset();
                lengths[i] = e.length();
                rawLengths[i] = e.rawLength();
            }
        }

        String packId() {
            return packId;
        }

        long length() {
            return length;
        }

        int size() {
            return offsets.length;
        }

        ChunkId id(int i) {
            return ChunkId.read(ids, i * ChunkId.LENGTH);
        }

        PackEntry entry(int i) {
            return new PackEntry(id(i), offsets[i], lengths[i], rawLengths[i]);
        }

        /** The entries as objects (a new list on every call; check and prune use it per pack). */
        List<PackEntry> entries() {
            List<PackEntry> out = new ArrayList<>(size());
            for (int i = 0; i < size(); i++) out.add(entry(i));
            return out;
        }
    }

    /** File name prefix of an index set: one index file listing many packs. */
    static final String SET_PREFIX = "set-";

    /** How index files are read: {@code Store::get}; tests interpose a concurrent merge. */
    @FunctionalInterface
    interface FileReader {
        byte[] read(Store store, String name) throws IOException;
    }

    /** How {@code index/} is listed (object names); tests give a listing that raced a merge. */
    @FunctionalInterface
    interface DirectoryLister {
        List<String> list(Store store) throws IOException;
    }

    /** The names of the objects in {@code index/}. */
    static List<String> listIndex(Store store) throws IOException {
        List<String> out = new ArrayList<>();
        for (Store.Entry e : store.list("index/")) out.add(e.name());
        return out;
    }

    private final FileReader reader;
    private final DirectoryLister lister;

    ChunkIndex() {
        this(Store::get);
    }

    ChunkIndex(FileReader reader) {
        this(reader, ChunkIndex::listIndex);
    }

    ChunkIndex(FileReader reader, DirectoryLister lister) {
        this.reader = reader;
        this.lister = lister;
    }

    private final Map<String, PackInfo> packs = new ConcurrentHashMap<>();
    /** Index file name -> the packs it lists; guarded by {@code this}. */
    private final Map<String, List<String>> files = new HashMap<>();
    /** Index files that failed to decode; guarded by {@code this}. */
    private final Set<String> damaged = new HashSet<>();

    private final List<String> loadErrors = Collections.synchronizedList(new ArrayList<>());
    /** Pack by number (its index in this list; renumbered when packs are forgotten). Guarded by {@code this}. */
    private final List<PackInfo> byNumber = new ArrayList<>();
    /** Open addressing, linear probing: {@code (packNumber + 1) << 32 | entry}, 0 = empty. Guarded by {@code this}. */
    private long[] table = new long[1024];

    private int count;

    static ChunkIndex load(Store store, Crypto crypto) throws IOException {
        ChunkIndex idx = new ChunkIndex();
        idx.refresh(store, crypto);
        return idx;
    }

    /**
     * Brings the in-memory index up to date with {@code index/}: loads new index files and
     * forgets packs that no index file lists any more (removed by a prune of another process).
     * Called under a repository lock before chunks are deduplicated against the index. A file
     * that vanishes between listing and reading was merged into an index set by another
     * process ({@link IndexCompactor} writes the set before deleting what it merged), so the
     * directory is listed again; so it is when packs would be forgotten, since a listing that
     * raced a merge may show neither the new set nor the files it replaced.
     */
    synchronized void refresh(Store store, Crypto crypto) throws IOException {
        Set<String> previous = null;
        for (int attempt = 1; ; attempt++) {
            Set<String> names = new HashSet<>();
            boolean vanished = false;
            {
                for (String p : lister.list(store)) {
                    String name = p.substring(p.lastIndexOf('/') + 1);
                    if (!isIndexFile(name)) continue;
                    names.add(name);
                    if (files.containsKey(name)) continue;
                    if (Hex.isHex(name, 64) && packs.containsKey(name)) {
                        files.put(name, List.of(name));
                        continue;
                    } // published here
                    try {
                        files.put(name, load(store, p, name, crypto));
                        damaged.remove(name);
                    } catch (RepositoryException e) {
                        loadErrors.add(e.getMessage());
                        damaged.add(name);
                    } catch (java.nio.file.NoSuchFileException e) {
                        names.remove(name);
                        vanished = true;
                    }
                }
            }
            if (vanished && attempt < 10) {
                previous = names;
                continue;
            }
            Set<String> present = new HashSet<>();
            for (Map.Entry<String, List<String>> f : files.entrySet())
                if (names.contains(f.getKey())) present.addAll(f.getValue());
            boolean forgets = !present.containsAll(packs.keySet());
            // a listing may miss both a set and the files it replaced when another process merged
            // during it (POSIX readdir), so packs are forgotten only when two listings agree
            if (forgets && !names.equals(previous) && attempt < 10) {
                previous = names;
                continue;
            }
            files.keySet().retainAll(names);
            damaged.retainAll(names);
            if (forgets) {
                packs.keySet().retainAll(present);
                rebuild();
            }
            return;
        }
    }

    /** Whether {@code name} in {@code index/} is an index file: a pack's ({@code <packId>}) or an index set ({@code set-<hex>}). */
    static boolean isIndexFile(String name) {
        return Hex.isHex(name, 64)
                || (name.startsWith(SET_PREFIX) && Hex.isHex(name.substring(SET_PREFIX.length()), 64));
    }

    /** Reads one index file into the index; returns the ids of the packs it lists. */
    private List<String> load(Store store, String p, String name, Crypto crypto) throws IOException {
        byte[] data = reader.read(store, p);
        String what = "index file " + RepoConfig.where(store, p);
        if (Hex.isHex(name, 64)) {
            ByteBuffer b = ByteBuffer.wrap(FileCodec.decode(crypto, "index", data, 0, data.length, what));
            if (b.remaining() < 8) throw FileCodec.corrupt(what, "truncated");
            long len = b.getLong();
            add(name, len, PackFormat.parseEntries(b, len, what));
            return List.of(name);
        }
        List<PackFormat.IndexedPack> set = PackFormat.parseIndexSet(
                FileCodec.decode(crypto, PackFormat.INDEX_SET, data, 0, data.length, what), what);
        List<String> ids = new ArrayList<>(set.size());
        for (PackFormat.IndexedPack ip : set) {
            add(ip.packId(), ip.length(), ip.entries());
            ids.add(ip.packId());
        }
        return ids;
    }

    /** Records an index set this process wrote (its packs are indexed already), so it is not read back. */
    synchronized void noteFile(String name, List<String> packIds) {
        if (packs.keySet().containsAll(packIds))
            files.put(name, List.copyOf(packIds)); // else the next refresh reads it
    }

    /** The index files read so far and the packs each lists (a snapshot of the map). */
    synchronized Map<String, List<String>> files() {
        return Map.copyOf(files);
    }

    /** Index files that could not be read at the last refresh. */
    synchronized Set<String> damagedFiles() {
        return Set.copyOf(damaged);
    }

    synchronized void add(String packId, long length, List<PackEntry> entries) {
        if (packs.containsKey(packId)) return;
        PackInfo p = new PackInfo(packId, length, byNumber.size(), entries);
        byNumber.add(p);
        packs.put(packId, p);
        for (int i = 0; i < p.size(); i++) insert(p, i);
    }

    /** Re-creates the table from the packs still known (after packs were forgotten). */
    private void rebuild() {
        List<PackInfo> live = new ArrayList<>(packs.values());
        live.sort(java.util.Comparator.comparingInt(p -> p.number));
        byNumber.clear();
        table = new long[1024];
        count = 0;
        for (PackInfo old : live) {
            PackInfo p = new PackInfo(old, byNumber.size());
            byNumber.add(p);
            packs.put(p.packId(), p);
            for (int i = 0; i < p.size(); i++) insert(p, i);
        }
    }

    /** Adds entry {@code i} of {@code p} unless its id is already indexed (the first copy wins). */
    private void insert(PackInfo p, int i) {
        if (2L * (count + 1) > table.length) grow();
        int mask = table.length - 1;
        int at = slot(ChunkId.prefix(p.ids, i * ChunkId.LENGTH), mask);
        while (table[at] != 0) {
            long ref = table[at];
            int o = entry(ref) * ChunkId.LENGTH;
            if (Arrays.equals(
                    pack(ref).ids, o, o + ChunkId.LENGTH, p.ids, i * ChunkId.LENGTH, (i + 1) * ChunkId.LENGTH)) return;
            at = (at + 1) & mask;
        }
        table[at] = ((long) (p.number + 1) << 32) | i;
        count++;
    }

    private void grow() {
        long[] old = table;
        table = new long[old.length * 2];
        int mask = table.length - 1;
        for (long ref : old) {
            if (ref == 0) continue;
            int at = slot(ChunkId.prefix(pack(ref).ids, entry(ref) * ChunkId.LENGTH), mask);
            while (table[at] != 0) at = (at + 1) & mask;
            table[at] = ref;
        }
    }

    /** The table slot to start probing at for an id with this {@link ChunkId#prefix()}. */
    private static int slot(long prefix, int mask) {
        return (int) (prefix ^ (prefix >>> 29) ^ (prefix >>> 43)) & mask;
    }

    /** The pack of a table reference. */
    private PackInfo pack(long ref) {
        return byNumber.get((int) (ref >>> 32) - 1);
    }

    /** The entry within its pack of a table reference. */
    private static int entry(long ref) {
        return (int) ref;
    }

    /** The table reference of {@code id}, or 0. Caller holds the lock. */
    private long find(ChunkId id) {
        int mask = table.length - 1;
        int at = slot(id.prefix(), mask);
        while (table[at] != 0) {
            long ref = table[at];
            if (id.matches(pack(ref).ids, entry(ref) * ChunkId.LENGTH)) return ref;
            at = (at + 1) & mask;
        }
        return 0;
    }

    /** Forgets the packs {@code packIds} (in a private copy of the index, e.g. packs whose file is missing). */
    synchronized void forget(Set<String> packIds) {
        if (packs.keySet().removeAll(packIds)) rebuild();
    }

    /** A new, empty set of marks over the chunks indexed now (no refresh may happen while it is used). */
    Marks marks() {
        return new Marks();
    }

    /**
     * One bit per indexed chunk: which chunks the snapshots use, for prune and stats. A chunk
     * stored in several packs is marked at the copy the index serves (its first), so memory is
     * 1 bit per chunk instead of an object per referenced id (~110 bytes: 1 million chunks in a
     * {@code HashSet<ChunkId>} would not fit the launcher's default heap beside the index).
     */
    final class Marks {
        private java.util.BitSet[] bits;
        private long count;

        private Marks() {
            synchronized (ChunkIndex.this) {
                bits = new java.util.BitSet[byNumber.size()];
            }
        }

        /** Marks the copy of {@code id} the index serves: 1 if newly marked, 0 if marked already, -1 if not indexed. */
        int mark(ChunkId id) {
            synchronized (ChunkIndex.this) {
                long ref = find(id);
                if (ref == 0) return -1;
                int p = (int) (ref >>> 32) - 1, e = entry(ref);
                if (p >= bits.length) bits = Arrays.copyOf(bits, byNumber.size()); // a pack published since
                java.util.BitSet b = bits[p];
                if (b == null)
                    b = bits[p] = new java.util.BitSet(byNumber.get(p).size());
                if (b.get(e)) return 0;
                b.set(e);
                count++;
                return 1;
            }
        }

        /** Whether entry {@code i} of {@code p} is marked. */
        boolean marked(PackInfo p, int i) {
            java.util.BitSet b = p.number < bits.length ? bits[p.number] : null;
            return b != null && b.get(i);
        }

        /** Marked entries of {@code p}. */
        int marked(PackInfo p) {
            java.util.BitSet b = p.number < bits.length ? bits[p.number] : null;
            return b == null ? 0 : b.cardinality();
        }

        long count() {
            return count;
        }
    }

    synchronized Location get(ChunkId id) {
        long ref = find(id);
        if (ref == 0) return null;
        PackInfo p = pack(ref);
        int i = entry(ref);
        return new Location(p.packId(), p.offsets[i], p.lengths[i], p.rawLengths[i]);
    }

    synchronized boolean contains(ChunkId id) {
        return find(id) != 0;
    }

    /** Every indexed copy of {@code id}, the served one first (a scan of all entries: for reads that failed). */
    synchronized List<Location> copies(ChunkId id) {
        List<Location> out = new ArrayList<>();
        Location served = get(id);
        if (served != null) out.add(served);
        for (PackInfo p : byNumber) {
            for (int i = 0; i < p.size(); i++) {
                if (id.matches(p.ids, i * ChunkId.LENGTH)
                        && (served == null || !p.packId().equals(served.packId()) || p.offsets[i] != served.offset()))
                    out.add(new Location(p.packId(), p.offsets[i], p.lengths[i], p.rawLengths[i]));
            }
        }
        return out;
    }

    Map<String, PackInfo> packs() {
        return packs;
    }

    synchronized int chunkCount() {
        return count;
    }

    List<String> loadErrors() {
        synchronized (loadErrors) {
            return loadErrors.stream().distinct().toList();
        }
    }
}
