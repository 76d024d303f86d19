package dev.stillpoint.repository;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A snapshot manifest, stored as {@code snapshots/<id>} = FileCodec("snapshot", JSON) where the
 * id is the SHA-256 of the stored file. JSON fields: version, name, time, size, chunkSize,
 * parent, tags, allocatedBytes, storedBytes, chunks (base64 of 32-byte ids, one per chunk of the
 * image in order; 32 zero bytes = hole), and for a snapshot made by {@code copy} original (the id
 * of the snapshot it is a copy of, in the repository where it was first written).
 */
final class Manifest {
    final String name;
    final Instant time;
    final long size;
    final int chunkSize;
    final String parent;
    final Map<String, String> tags;
    final long allocatedBytes;
    final long storedBytes;
    final byte[] chunks;
    /** The snapshot this one is a copy of (its id where it was first written), or null. */
    final String original;

    Manifest(
            String name,
            Instant time,
            long size,
            int chunkSize,
            String parent,
            Map<String, String> tags,
            long allocatedBytes,
            long storedBytes,
            byte[] chunks) {
        this(name, time, size, chunkSize, parent, tags, allocatedBytes, storedBytes, chunks, null);
    }

    Manifest(
            String name,
            Instant time,
            long size,
            int chunkSize,
            String parent,
            Map<String, String> tags,
            long allocatedBytes,
            long storedBytes,
            byte[] chunks,
            String original) {
        this.name = name;
        this.time = time;
        this.size = size;
        this.chunkSize = chunkSize;
        this.parent = parent;
        this.tags = Map.copyOf(tags);
        this.allocatedBytes = allocatedBytes;
        this.storedBytes = storedBytes;
        this.chunks = chunks;
        this.original = original;
    }

    static long chunkCount(long size, int chunkSize) {
        return (size + chunkSize - 1) / chunkSize;
    }

    int count() {
        return chunks.length / 32;
    }

    /** The id of chunk {@code i}, or null for a hole. */
    ChunkId chunk(int i) {
        int off = i * 32;
        for (int k = 0; k < 32; k++) if (chunks[off + k] != 0) return ChunkId.read(chunks, off);
        return null;
    }

    int chunkLength(int i) {
        return (int) Math.min(chunkSize, size - (long) i * chunkSize);
    }

    SnapshotInfo info(String id) {
        return new SnapshotInfo(id, name, time, size, parent, tags, allocatedBytes, storedBytes);
    }

    byte[] encode(Crypto crypto) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", 1);
        m.put("name", name);
        m.put("time", time.toString());
        m.put("size", size);
        m.put("chunkSize", chunkSize);
        if (parent != null) m.put("parent", parent);
        m.put("tags", new TreeMap<>(tags));
        m.put("allocatedBytes", allocatedBytes);
        m.put("storedBytes", storedBytes);
        m.put("chunks", Base64.getEncoder().encodeToString(chunks));
        if (original != null) m.put("original", original);
        return FileCodec.encode(crypto, "snapshot", JSON.std.asBytes(m));
    }

    @SuppressWarnings("unchecked")
    static Manifest decode(Crypto crypto, byte[] file, String what) throws RepositoryException {
        Map<String, Object> m = FileCodec.decodeJson(crypto, "snapshot", "manifest", file, what);
        try {
            Map<String, String> tags = FileCodec.strings(m.get("tags"));
            long size = ((Number) m.get("size")).longValue();
            int cs = ((Number) m.get("chunkSize")).intValue();
            byte[] chunks = Base64.getDecoder().decode((String) m.get("chunks"));
            if (size < 0 || cs <= 0 || chunks.length != 32 * chunkCount(size, cs))
                throw FileCodec.corrupt(
                        what,
                        "chunk list has " + chunks.length / 32 + " entries, size " + size + " needs "
                                + chunkCount(size, cs));
            return new Manifest(
                    (String) m.get("name"),
                    Instant.parse((String) m.get("time")),
                    size,
                    cs,
                    (String) m.get("parent"),
                    tags,
                    ((Number) m.get("allocatedBytes")).longValue(),
                    ((Number) m.get("storedBytes")).longValue(),
                    chunks,
                    (String) m.get("original"));
        } catch (RuntimeException e) {
            throw FileCodec.malformed("manifest", what, e);
        }
    }
}
