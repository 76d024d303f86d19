package dev.stillpoint.repository;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * An open Stillpoint repository: deduplicated, compressed, optionally encrypted storage of
 * disk images. One repository snapshot holds one image (e.g. {@code "web1/vda"}); a VM backup
 * is a set of snapshots tied together by the engine's catalog.
 *
 * <p>Obtain one with {@code Repositories.open(...)} / {@code Repositories.init(...)}.
 * Implementations are thread-safe; several {@link ImageWriter}s may be open at once, also
 * from several processes (shared lock).
 */
public interface Repository extends AutoCloseable {

    /**
     * Size for {@link #newImage} when the length of a stream is not known in advance (no
     * parent allowed): the image ends at the end of the last write. Supported by the file
     * repository from {@link Repositories}.
     */
    long UNKNOWN_SIZE = -1;

    /**
     * Starts a new image snapshot.
     *
     * @param name    image name, e.g. {@code "web1/vda"}
     * @param size    logical size in bytes of the image being recorded
     * @param parent  snapshot id whose content fills every range this writer does not
     *                write (the "changed extents + previous snapshot" ingest), or {@code null}
     *                for none: unwritten ranges are then zero (holes)
     * @param tags    free-form metadata stored in the snapshot manifest
     */
    ImageWriter newImage(String name, long size, String parent, Map<String, String> tags, ProgressListener progress)
            throws IOException;

    /** All snapshots, oldest first. */
    List<SnapshotInfo> snapshots() throws IOException;

    /** Finds a snapshot by full id or unique prefix; throws {@link RepositoryException} (NOT_FOUND) otherwise. */
    SnapshotInfo snapshot(String idOrPrefix) throws IOException;

    /** Opens a snapshot's image for reading. */
    ImageReader openImage(String snapshotId) throws IOException;

    /**
     * Verifies the repository: structure (config, index, packs present, every snapshot's chunks
     * indexed) and, for {@code readDataPercent} percent of the packs chosen at random (0 = none,
     * 100 = all), the data itself (every chunk decrypted, decompressed and re-hashed). Takes a
     * shared lock. Damage is reported in the result, not thrown.
     */
    default CheckReport check(int readDataPercent, ProgressListener progress) throws IOException {
        throw new UnsupportedOperationException(
                "check is not supported by " + getClass().getName());
    }

    /**
     * Applies a retention policy per image name and removes the manifests of snapshots it does
     * not keep (nothing when {@code dryRun}). Data is freed by {@link #prune}. Exclusive lock.
     */
    default ForgetResult forget(RetentionPolicy policy, boolean dryRun) throws IOException {
        throw new UnsupportedOperationException(
                "forget is not supported by " + getClass().getName());
    }

    /** Removes a snapshot manifest by id or unique prefix (exclusive lock). */
    default void forget(String idOrPrefix) throws IOException {
        throw new UnsupportedOperationException(
                "forget is not supported by " + getClass().getName());
    }

    /**
     * Removes data no snapshot references (orphans of interrupted backups, forgotten
     * snapshots); crash-safe at every step. Exclusive lock.
     */
    default PruneResult prune(ProgressListener progress) throws IOException {
        throw new UnsupportedOperationException(
                "prune is not supported by " + getClass().getName());
    }

    /**
     * Rebuilds missing or damaged index files from the pack headers (exclusive lock); returns
     * how many were written. Recovers from lost or damaged {@code index/} files.
     */
    default int repairIndex() throws IOException {
        throw new UnsupportedOperationException(
                "repairIndex is not supported by " + getClass().getName());
    }

    /**
     * Removes stale locks (lease expired, or left by a process of this host that is gone), or with
     * {@code all} every lock of other processes; returns what was removed (each lock's contents
     * plus {@code file} and {@code stale}). Takes no lock. {@code all} is for when no other process
     * uses the repository: a lock of a running job removed this way no longer protects it.
     */
    default java.util.List<Map<String, Object>> removeLocks(boolean all) throws IOException {
        throw new UnsupportedOperationException(
                "removeLocks is not supported by " + getClass().getName());
    }

    /**
     * Stores a record describing {@code snapshots} (role to snapshot id, each of which must exist:
     * NOT_FOUND otherwise) as one immutable, encrypted object, published atomically like a
     * snapshot manifest. {@code forget} removes it once none of its snapshots is left, and
     * {@code prune} removes such records left by an interrupted forget. Shared lock.
     */
    default RepositoryRecord putRecord(String name, Map<String, String> snapshots, String body) throws IOException {
        throw new UnsupportedOperationException(
                "records are not supported by " + getClass().getName());
    }

    /** Every record, oldest first (empty for a repository written before records existed). */
    default List<RepositoryRecord> records() throws IOException {
        return List.of();
    }

    /** Logical versus stored sizes. */
    default RepositoryStats stats() throws IOException {
        throw new UnsupportedOperationException(
                "stats is not supported by " + getClass().getName());
    }

    @Override
    void close() throws IOException;
}
