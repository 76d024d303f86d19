package dev.stillpoint.repository;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Pack file layout (all integers big-endian):
 * <pre>
 *   blob 0 | blob 1 | ... | header | headerLength(4) | "SPK1"
 *   header = FileCodec("pack-header", entries)
 *   entries = count(4) then per blob: id(32) offset(8) length(4) rawLength(4)
 * </pre>
 * The pack id is the SHA-256 of the whole file. An index file {@code index/<packId>} holds
 * {@code FileCodec("index", packLength(8) || entries)}; it can be rebuilt from the header. An
 * index set {@code index/set-<sha256 of the file>} lists many packs:
 * {@code FileCodec("index-set", count(4) || per pack: packId(32) packLength(8) entries)}.
 */
final class PackFormat {
    static final byte[] MAGIC = "SPK1".getBytes(StandardCharsets.US_ASCII);
    static final int ENTRY = 32 + 8 + 4 + 4;
    /** The file kind (associated data) of an index set. */
    static final String INDEX_SET = "index-set";

    /** One pack of an index set. */
    record IndexedPack(String packId, long length, List<PackEntry> entries) {}

    private PackFormat() {}

    static byte[] entries(List<PackEntry> list) {
        ByteBuffer b = ByteBuffer.allocate(4 + ENTRY * list.size());
        b.putInt(list.size());
        for (PackEntry e : list) {
            b.put(e.id().bytes());
            b.putLong(e.offset());
            b.putInt(e.length());
            b.putInt(e.rawLength());
        }
        return b.array();
    }

    /** An entry list that fills the rest of {@code b}. */
    static List<PackEntry> parseEntries(ByteBuffer b, long packLength, String what) throws RepositoryException {
        List<PackEntry> out = readEntries(b, packLength, what);
        if (b.hasRemaining()) throw FileCodec.corrupt(what, b.remaining() + " bytes after the entry list");
        return out;
    }

    /** An entry list at {@code b}'s position, which is left after it. */
    static List<PackEntry> readEntries(ByteBuffer b, long packLength, String what) throws RepositoryException {
        if (b.remaining() < 4) throw FileCodec.corrupt(what, "truncated entry list");
        int n = b.getInt();
        if (n < 0 || (long) n * ENTRY > b.remaining())
            throw FileCodec.corrupt(what, "entry count " + n + " does not match " + b.remaining() + " bytes");
        List<PackEntry> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] id = new byte[32];
            b.get(id);
            PackEntry e = new PackEntry(new ChunkId(id), b.getLong(), b.getInt(), b.getInt());
            if (e.offset() < 0 || e.length() <= 0 || e.rawLength() <= 0 || e.offset() + e.length() > packLength)
                throw FileCodec.corrupt(what, "entry " + i + " out of range: " + e);
            out.add(e);
        }
        return out;
    }

    /** An index set listing {@code packs} (encoded, ready to be written). */
    static byte[] indexSetFile(Crypto crypto, List<ChunkIndex.PackInfo> packs) {
        long size = 4;
        for (ChunkIndex.PackInfo p : packs) size += 32 + 8 + 4 + (long) ENTRY * p.size();
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(size));
        b.putInt(packs.size());
        for (ChunkIndex.PackInfo p : packs) {
            b.put(Hex.parse(p.packId())).putLong(p.length()).putInt(p.size());
            for (int i = 0; i < p.size(); i++) {
                b.put(p.ids, i * ChunkId.LENGTH, ChunkId.LENGTH)
                        .putLong(p.offsets[i])
                        .putInt(p.lengths[i])
                        .putInt(p.rawLengths[i]);
            }
        }
        return FileCodec.encode(crypto, INDEX_SET, b.array());
    }

    /** The packs an index set lists; throws CORRUPT naming {@code what}. */
    static List<IndexedPack> parseIndexSet(byte[] plain, String what) throws RepositoryException {
        ByteBuffer b = ByteBuffer.wrap(plain);
        if (b.remaining() < 4) throw FileCodec.corrupt(what, "truncated");
        int n = b.getInt();
        if (n < 0 || (long) n * (32 + 8 + 4) > b.remaining())
            throw FileCodec.corrupt(what, "pack count " + n + " does not match " + b.remaining() + " bytes");
        List<IndexedPack> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            if (b.remaining() < 40) throw FileCodec.corrupt(what, "truncated at pack " + i);
            byte[] id = new byte[32];
            b.get(id);
            long length = b.getLong();
            if (length < 0) throw FileCodec.corrupt(what, "pack " + i + " has length " + length);
            out.add(new IndexedPack(Hex.of(id), length, readEntries(b, length, what + " pack " + Hex.of(id))));
        }
        if (b.hasRemaining()) throw FileCodec.corrupt(what, b.remaining() + " bytes after the last pack");
        return out;
    }

    static byte[] indexFile(Crypto crypto, long packLength, List<PackEntry> list) {
        byte[] ent = entries(list);
        ByteBuffer b = ByteBuffer.allocate(8 + ent.length).putLong(packLength).put(ent);
        return FileCodec.encode(crypto, "index", b.array());
    }

    /**
     * The pack id: SHA-256 of the pack's tail ({@code header || trailer}, given whole or in parts). The header lists every
     * blob's chunk id, offset and length, and every blob is authenticated by its chunk id (GCM
     * associated data, or the re-hash of its plaintext), so the tail hash plus the blobs' own
     * checks cover every byte of the file without hashing the data a second time.
     */
    static String packId(byte[]... tail) {
        java.security.MessageDigest d = Crypto.newDigest();
        for (byte[] part : tail) d.update(part);
        return Hex.of(d.digest());
    }

    /** Reads the header at the end of a pack file (used to check and to rebuild the index). */
    static List<PackEntry> readHeader(Crypto crypto, dev.stillpoint.repository.store.Store store, String pack)
            throws IOException {
        String what = "pack " + pack.substring(pack.lastIndexOf('/') + 1);
        try (dev.stillpoint.repository.store.Store.Reader ch = store.reader(pack, false)) {
            long size = ch.size();
            if (size < 8) throw FileCodec.corrupt(what, "truncated (" + size + " bytes)");
            ByteBuffer tail = ByteBuffer.wrap(ch.readFully(size - 8, 8));
            int hlen = tail.getInt();
            byte[] magic = new byte[4];
            tail.get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC))
                throw FileCodec.corrupt(what, "bad trailer magic (truncated or damaged)");
            if (hlen <= 0 || hlen > size - 8) throw FileCodec.corrupt(what, "header length " + hlen + " out of range");
            ByteBuffer h = ByteBuffer.wrap(ch.readFully(size - 8 - hlen, hlen));
            byte[] plain = FileCodec.decode(crypto, "pack-header", h.array(), 0, hlen, what + " header");
            return parseEntries(ByteBuffer.wrap(plain), size - 8 - hlen, what + " header");
        }
    }
}
