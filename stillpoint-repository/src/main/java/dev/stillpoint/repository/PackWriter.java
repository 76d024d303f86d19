package dev.stillpoint.repository;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * Appends encoded blobs to a temp pack and publishes it when it reaches the target size or on
 * {@link #flush()}: header + trailer, fsync, rename to {@code data/xx/<sha256>}, then the index
 * file (temp, fsync, rename). Only after both are durable do the chunks enter the in-memory
 * index, so a snapshot can never reference a chunk whose pack or index is not durable.
 * Thread-safe (one pack at a time).
 */
final class PackWriter implements AutoCloseable {
    private final FileRepository repo;
    private Path tmp;
    private FileChannel ch;
    private MessageDigest digest;
    private long pos;
    private final List<PackEntry> entries = new ArrayList<>();
    private long storedBytes;
    private int packsWritten;

    PackWriter(FileRepository repo) { this.repo = repo; }

    synchronized void add(ChunkId id, byte[] blob, int rawLength) throws IOException {
        if (ch == null) open();
        write(ByteBuffer.wrap(blob));
        entries.add(new PackEntry(id, pos - blob.length, blob.length, rawLength));
        storedBytes += blob.length;
        if (pos >= repo.config().packSize()) flush();
    }

    private void open() throws IOException {
        tmp = Files.createTempFile(repo.tmpDir(), "pack-", ".tmp");
        ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
        digest = Crypto.newDigest();
        pos = 0;
        entries.clear();
    }

    private void write(ByteBuffer b) throws IOException {
        digest.update(b.duplicate());
        while (b.hasRemaining()) pos += ch.write(b);
    }

    /** Publishes the current pack (if any) durably. */
    synchronized void flush() throws IOException {
        if (ch == null) return;
        byte[] header = FileCodec.encode(repo.crypto(), "pack-header", PackFormat.entries(entries));
        write(ByteBuffer.wrap(header));
        write(ByteBuffer.allocate(8).putInt(header.length).put(PackFormat.MAGIC).flip());
        ch.force(true);
        ch.close();
        ch = null;
        String packId = Hex.of(digest.digest());
        long length = pos;
        AtomicFiles.publish(tmp, repo.packPath(packId));
        tmp = null;
        AtomicFiles.write(repo.tmpDir(), repo.indexPath(packId), PackFormat.indexFile(repo.crypto(), length, entries));
        storedBytes += header.length + 8;
        repo.index().add(packId, length, entries);
        entries.clear();
        packsWritten++;
    }

    synchronized long storedBytes() { return storedBytes; }

    synchronized int packsWritten() { return packsWritten; }

    /** Abandons an unpublished pack. */
    @Override public synchronized void close() throws IOException {
        if (ch != null) { ch.close(); ch = null; }
        if (tmp != null) { Files.deleteIfExists(tmp); tmp = null; }
    }
}
