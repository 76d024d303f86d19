package dev.stillpoint.engine.export;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.DiskRecord;
import dev.stillpoint.qemu.nbd.NbdServer;
import dev.stillpoint.repository.ImageReader;
import dev.stillpoint.repository.Repository;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The disks of one catalog backup served read-only over NBD, one export per disk named by its
 * target ({@code vda}). Memory stays bounded whatever the disk sizes: the chunk cache
 * ({@code cacheBytes}, split between the disks) plus the server's reads in flight (64 MiB).
 *
 * <pre>{@code
 * try (BackupExport export = BackupExport.open(repository, backup, null, 64 << 20)) {
 *     export.listen(UnixDomainSocketAddress.of(socket));
 *     export.awaitClose();   // until close() from a shutdown hook
 * }
 * }</pre>
 */
public final class BackupExport implements AutoCloseable {
    /** Default chunk cache: 64 MiB. */
    public static final long DEFAULT_CACHE_BYTES = 64L << 20;

    /** One served disk: export name (the disk target), size in bytes, repository snapshot. */
    public record Disk(String name, long size, String snapshotId) {}

    private final List<ImageReader> readers;
    private final List<Disk> disks;
    private final List<ImageExportSource> sources;
    private final NbdServer server;

    private BackupExport(
            List<ImageReader> readers, List<Disk> disks, List<ImageExportSource> sources, NbdServer server) {
        this.sources = sources;
        this.readers = readers;
        this.disks = List.copyOf(disks);
        this.server = server;
    }

    /**
     * Opens every disk of {@code backup} ({@code disk} null), or the one whose target is
     * {@code disk}, from {@code repository} (which the caller keeps open while the export runs).
     */
    public static BackupExport open(Repository repository, BackupRecord backup, String disk, long cacheBytes)
            throws EngineException, IOException {
        Objects.requireNonNull(repository, "repository");
        Objects.requireNonNull(backup, "backup");
        if (cacheBytes < 0)
            throw new EngineException(Code.INVALID_ARGUMENT, "cache size must be >= 0 bytes, got " + cacheBytes);
        if (!backup.complete()) {
            throw new EngineException(
                    Code.INVALID_ARGUMENT,
                    "backup " + backup.id() + " has status '" + backup.status().label()
                            + "'; only complete backups can be exported");
        }
        List<DiskRecord> chosen = choose(backup, disk);
        List<ImageReader> readers = new ArrayList<>();
        List<Disk> disks = new ArrayList<>();
        List<ImageExportSource> sources = new ArrayList<>();
        NbdServer.Builder builder = NbdServer.builder();
        boolean ok = false;
        try {
            for (DiskRecord d : chosen) {
                ImageReader reader = repository.openImage(d.snapshotId());
                readers.add(reader);
                ImageExportSource source = new ImageExportSource(reader, cacheBytes / chosen.size());
                sources.add(source);
                builder.export(d.target(), source);
                disks.add(new Disk(d.target(), reader.size(), d.snapshotId()));
            }
            BackupExport export = new BackupExport(readers, disks, sources, builder.build());
            ok = true;
            return export;
        } finally {
            if (!ok) closeAll(readers);
        }
    }

    private static List<DiskRecord> choose(BackupRecord backup, String disk) throws EngineException {
        if (backup.disks().isEmpty())
            throw new EngineException(Code.INVALID_ARGUMENT, "backup " + backup.id() + " records no disks");
        List<DiskRecord> chosen = disk == null
                ? backup.disks()
                : backup.disks().stream().filter(d -> d.target().equals(disk)).toList();
        if (chosen.isEmpty()) {
            throw new EngineException(
                    Code.INVALID_ARGUMENT,
                    "backup " + backup.id() + " has no disk '" + disk + "' (disks: "
                            + backup.disks().stream().map(DiskRecord::target).toList() + ")");
        }
        for (DiskRecord d : chosen) {
            if (d.snapshotId() == null) {
                throw new EngineException(
                        Code.INVALID_ARGUMENT,
                        "disk " + d.target() + " of backup " + backup.id() + " has no repository snapshot");
            }
        }
        return chosen;
    }

    /**
     * Reads disk {@code index} (of {@link #disks()}) at {@code offset} into {@code dst}, e.g. its
     * partition table; call it before {@link #listen}, while no client reads the same source.
     */
    public void read(int index, long offset, ByteBuffer dst) throws IOException {
        sources.get(index).read(offset, dst);
    }

    /**
     * Chunks read from the repository so far, over all disks, and their size in bytes (decoded):
     * what serving the reads cost, e.g. for one file restored ({@code files}, {@code restore --files}).
     */
    public ReadCount readCount() {
        long chunks = 0, bytes = 0;
        for (ImageExportSource source : sources) {
            long n = source.chunksRead();
            chunks += n;
            bytes += n * source.chunkSize();
        }
        return new ReadCount(chunks, bytes);
    }

    /** Chunks read from the repository and their decoded bytes. */
    public record ReadCount(long chunks, long bytes) {}

    /** The served disks, in the backup's order (the first is also the default export, name ""). */
    public List<Disk> disks() {
        return disks;
    }

    /** Listens on a unix socket or TCP address; returns the bound address. */
    public SocketAddress listen(SocketAddress address) throws EngineException {
        try {
            return server.listen(address);
        } catch (IOException e) {
            throw new EngineException(Code.EXPORT_FAILED, e.getMessage(), e);
        }
    }

    /** Connections open now (clients attached). */
    public int openConnections() {
        return server.openConnections();
    }

    /** Blocks until {@link #close()}. */
    public void awaitClose() throws InterruptedException {
        server.awaitClose();
    }

    /** Stops the server (removing its unix socket files) and closes the images. Idempotent. */
    @Override
    public void close() throws IOException {
        try {
            server.close();
        } finally {
            closeAll(readers);
        }
    }

    private static void closeAll(List<ImageReader> readers) throws IOException {
        IOException first = null;
        for (ImageReader r : readers) {
            try {
                r.close();
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }
}
