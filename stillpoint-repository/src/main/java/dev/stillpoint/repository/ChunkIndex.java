package dev.stillpoint.repository;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * In-memory index: chunk id -> location, loaded from {@code index/*} at open and extended as
 * this process publishes packs. The same chunk may be in several packs (concurrent backups, an
 * interrupted prune); any copy serves.
 */
final class ChunkIndex {
    record Location(String packId, long offset, int length, int rawLength) {}

    record PackInfo(String packId, long length, List<PackEntry> entries) {}

    private final Map<ChunkId, Location> chunks = new ConcurrentHashMap<>();
    private final Map<String, PackInfo> packs = new ConcurrentHashMap<>();
    private final List<String> loadErrors = Collections.synchronizedList(new ArrayList<>());

    static ChunkIndex load(Path root, Crypto crypto) throws IOException {
        ChunkIndex idx = new ChunkIndex();
        idx.refresh(root, crypto);
        return idx;
    }

    /**
     * Brings the in-memory index up to date with {@code index/}: loads new index files and
     * forgets packs whose index file is gone (removed by a prune of another process). Called
     * under a repository lock before chunks are deduplicated against the index.
     */
    synchronized void refresh(Path root, Crypto crypto) throws IOException {
        ChunkIndex idx = this;
        Path dir = root.resolve("index");
        if (!Files.isDirectory(dir)) return;
        java.util.Set<String> present = new java.util.HashSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!Hex.isHex(name, 64)) continue;
                present.add(name);
                if (packs.containsKey(name)) continue;
                try {
                    byte[] data = Files.readAllBytes(p);
                    byte[] plain = FileCodec.decode(crypto, "index", data, 0, data.length, "index file " + p);
                    ByteBuffer b = ByteBuffer.wrap(plain);
                    if (b.remaining() < 8) throw FileCodec.corrupt("index file " + p, "truncated");
                    long len = b.getLong();
                    idx.add(name, len, PackFormat.parseEntries(b, len, "index file " + p));
                } catch (RepositoryException e) {
                    idx.loadErrors.add(e.getMessage());
                } catch (java.nio.file.NoSuchFileException e) {
                    present.remove(name); // removed by a concurrent prune
                }
            }
        }
        if (!present.containsAll(packs.keySet())) {
            packs.keySet().retainAll(present);
            chunks.clear();
            for (PackInfo p : packs.values()) {
                for (PackEntry e : p.entries()) chunks.putIfAbsent(e.id(), new Location(p.packId(), e.offset(), e.length(), e.rawLength()));
            }
        }
    }

    void add(String packId, long length, List<PackEntry> entries) {
        packs.put(packId, new PackInfo(packId, length, List.copyOf(entries)));
        for (PackEntry e : entries) chunks.putIfAbsent(e.id(), new Location(packId, e.offset(), e.length(), e.rawLength()));
    }

    Location get(ChunkId id) { return chunks.get(id); }

    boolean contains(ChunkId id) { return chunks.containsKey(id); }

    Map<String, PackInfo> packs() { return packs; }

    int chunkCount() { return chunks.size(); }

    List<String> loadErrors() { synchronized (loadErrors) { return loadErrors.stream().distinct().toList(); } }
}
