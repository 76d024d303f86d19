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
     * Starts a new image snapshot.
     *
     * @param name    image name, e.g. {@code "web1/vda"}
     * @param size    logical size in bytes of the image being recorded
     * @param parent  snapshot id whose content fills every range this writer does not
     *                write (the "changed extents + previous snapshot" ingest), or {@code null}
     *                for none: unwritten ranges are then zero (holes)
     * @param tags    free-form metadata stored in the snapshot manifest
     */
    ImageWriter newImage(String name, long size, String parent, Map<String, String> tags,
                         ProgressListener progress) throws IOException;

    /** All snapshots, oldest first. */
    List<SnapshotInfo> snapshots() throws IOException;

    /** Finds a snapshot by full id or unique prefix; throws {@link RepositoryException} (NOT_FOUND) otherwise. */
    SnapshotInfo snapshot(String idOrPrefix) throws IOException;

    /** Opens a snapshot's image for reading. */
    ImageReader openImage(String snapshotId) throws IOException;

    @Override
    void close() throws IOException;
}
