package dev.stillpoint.engine.vm;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** One virtual machine as the engine sees it. */
public interface VmDomain {

    String name();

    String uuid();

    State state() throws VmException;

    /** The domain XML (inactive/persistent definition when {@code inactive}). */
    String xml(boolean inactive) throws VmException;

    /** File-backed disks from the domain XML, with cdrom/read-only/other devices reported as skipped. */
    List<VmDisk> disks() throws VmException;

    /** The guest agent, reached through the hypervisor. */
    GuestAgent agent();

    /** Checkpoint names of this domain, oldest first (all of them, not only Stillpoint's). */
    List<String> checkpoints() throws VmException;

    /** Deletes one checkpoint (its bitmap merges into its child). */
    void deleteCheckpoint(String name) throws VmException;

    /**
     * Begins a pull-mode backup: exports a point-in-time view of {@code disks} over NBD on a unix
     * socket at {@code socket}, creating checkpoint {@code newCheckpoint} (none when null: a disk
     * that cannot hold a persistent bitmap, such as a raw block device); incremental from
     * {@code incrementalFrom} when not null. Returns immediately; the guest runs on.
     */
    BackupSession beginBackup(
            List<String> disks, Path socket, Path scratchDir, String newCheckpoint, String incrementalFrom)
            throws VmException;

    /**
     * The NBD socket of the domain's active pull backup (whoever began it), or empty when no backup
     * job runs. Recovery compares it with a dead run's journal before aborting anything.
     */
    Optional<Path> activeBackupSocket() throws VmException;

    /** Aborts the domain's active job (a pull backup ends, its checkpoint stays) and waits until it has ended. */
    void abortJob() throws VmException;

    /**
     * Starts a block pull of {@code disk}: the data of its backing chain is copied into its top
     * image while the guest runs; when it ends, the disk no longer depends on the backing files.
     */
    void blockPull(String disk) throws VmException;

    /** The block job running on {@code disk}, or empty when none runs. */
    Optional<BlockJob> blockJob(String disk) throws VmException;

    /** Progress of a block job: {@code done} of {@code total} (bytes for a pull). */
    record BlockJob(long done, long total) {}

    /** The domain's snapshots, parents before children. */
    default List<VmSnapshot> snapshots() throws VmException {
        throw new VmException(VmException.Code.OPERATION_FAILED, "snapshots are not supported by " + this);
    }

    /**
     * Creates a snapshot: internal (a running domain's includes its memory) or, with overlays,
     * external disk-only and atomic. Does not quiesce: the caller freezes the guest around it.
     */
    default void createSnapshot(SnapshotRequest request) throws VmException {
        throw new VmException(VmException.Code.OPERATION_FAILED, "snapshots are not supported by " + this);
    }

    /** Replaces the description of snapshot {@code name} (its metadata is redefined, nothing else changes). */
    default void updateSnapshotDescription(String name, String description) throws VmException {
        throw new VmException(VmException.Code.OPERATION_FAILED, "snapshots are not supported by " + this);
    }

    /** Reverts to snapshot {@code name}; {@code after} RUNNING or PAUSED forces that state, null keeps the saved one. */
    default void revertToSnapshot(String name, State after) throws VmException {
        throw new VmException(VmException.Code.OPERATION_FAILED, "snapshots are not supported by " + this);
    }

    /**
     * Deletes snapshot {@code name}; an external one is merged back into its backing image (its own
     * layer only) and its overlay removed.
     */
    default void deleteSnapshot(String name) throws VmException {
        throw new VmException(VmException.Code.OPERATION_FAILED, "snapshots are not supported by " + this);
    }

    /** A picture of the domain's console, as the hypervisor sent it (e.g. {@code image/x-portable-pixmap}). */
    record Screenshot(String mimeType, byte[] data) {}

    /** The console of the running domain's first screen ({@code virDomainScreenshot}); needs a graphics device. */
    default Screenshot screenshot() throws VmException {
        throw new VmException(VmException.Code.OPERATION_FAILED, "this hypervisor connection takes no screenshots");
    }

    /** Snapshots, overlays and checkpoints present on this domain (for {@code snapshots audit}). */
    List<Leftover> leftovers() throws VmException;

    void start() throws VmException;

    /** Forced stop. */
    void destroy() throws VmException;

    /** Removes the definition (and, for tests/demo, checkpoint metadata). */
    void undefine() throws VmException;

    enum State {
        RUNNING,
        PAUSED,
        SHUTOFF,
        OTHER
    }

    /** A running pull-mode backup; {@link #close()} ends it (abort job), keeping the checkpoint. */
    interface BackupSession extends AutoCloseable {
        Path socket();

        /** NBD export name for a disk target (e.g. "vda"). */
        String exportName(String disk);

        /** NBD meta context carrying the dirty bitmap for an incremental, or null for a full. */
        String dirtyBitmapContext(String disk);

        @Override
        void close() throws VmException;
    }

    /** Something a backup tool may have left on a domain. */
    record Leftover(String kind, String name, String path, long sizeBytes, java.time.Instant created) {}

    /** Guest agent commands used around a backup. */
    interface GuestAgent {
        boolean ping(Duration timeout);

        /** guest-fsfreeze-freeze; returns the number of filesystems frozen. */
        int freeze(Duration timeout) throws VmException;

        /** guest-fsfreeze-thaw; returns the number thawed. */
        int thaw(Duration timeout) throws VmException;

        /** "frozen" or "thawed". */
        String freezeStatus(Duration timeout) throws VmException;

        /** Raw JSON command pass-through (returns the JSON reply). */
        String command(String json, Duration timeout) throws VmException;
    }
}
