package dev.stillpoint.engine.backup;

import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.BackupRecord.Mode;
import dev.stillpoint.engine.catalog.DiskRecord;
import dev.stillpoint.engine.vm.VmDisk;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Chooses full vs incremental. An incremental needs: no {@code --full}; a previous complete
 * backup of this VM in the catalog; its checkpoint still present on the domain; the same disks;
 * every previous disk snapshot still in the repository ({@link #decideOffline}: also qcow2 disks
 * and the newest checkpoint, for a shut-off domain). Anything else (bitmap drift) is never
 * an error: the plan becomes a full read that starts a new chain, with a warning.
 */
final class IncrementalPlanner {

    /**
     * @param incrementalFrom  checkpoint to start from (null for full)
     * @param parentSnapshots  disk target to repository snapshot the writer fills unread ranges from
     * @param warning          why an incremental was not possible (null when none was expected or it is one)
     */
    record Plan(
            Mode mode,
            String incrementalFrom,
            BackupRecord previous,
            Map<String, String> parentSnapshots,
            String warning) {
        static Plan full(String warning) {
            return new Plan(Mode.FULL, null, null, Map.of(), warning);
        }

        boolean incremental() {
            return mode == Mode.INCREMENTAL;
        }
    }

    private IncrementalPlanner() {}

    static Plan decide(
            boolean forceFull,
            Optional<BackupRecord> previous,
            List<String> checkpoints,
            List<VmDisk> disks,
            Predicate<String> snapshotExists) {
        if (forceFull) return Plan.full(null);
        if (previous.isEmpty()) return Plan.full(null);
        BackupRecord prev = previous.get();
        if (prev.checkpoint() == null) {
            return Plan.full("previous backup " + prev.id() + " has no checkpoint (a full read of the shut-off domain);"
                    + " reading everything");
        }
        if (!checkpoints.contains(prev.checkpoint())) {
            return Plan.full("checkpoint " + prev.checkpoint() + " of previous backup " + prev.id()
                    + " is gone from the domain (bitmap drift); reading everything and starting a new chain");
        }
        Map<String, String> parents = new LinkedHashMap<>();
        for (VmDisk d : disks) {
            DiskRecord pd = prev.disk(d.target());
            if (pd == null || pd.snapshotId() == null) {
                return Plan.full("disk " + d.target() + " is not in previous backup " + prev.id()
                        + "; reading everything and starting a new chain");
            }
            if (!snapshotExists.test(pd.snapshotId())) {
                return Plan.full(
                        "repository snapshot " + pd.snapshotId() + " of disk " + d.target() + " (previous backup "
                                + prev.id() + ") is missing; reading everything and starting a new chain");
            }
            parents.put(d.target(), pd.snapshotId());
        }
        return new Plan(Mode.INCREMENTAL, prev.checkpoint(), prev, parents, null);
    }

    /**
     * The plan for a shut-off domain: as {@link #decide}, and the incremental reads the qcow2
     * persistent bitmap named after the previous checkpoint, so it also needs every disk in qcow2
     * and that checkpoint to be the domain's newest (only then is its bitmap surely still active:
     * recording every write since it was made).
     */
    static Plan decideOffline(
            boolean forceFull,
            Optional<BackupRecord> previous,
            List<String> checkpoints,
            List<VmDisk> disks,
            Predicate<String> snapshotExists) {
        Plan plan = decide(forceFull, previous, checkpoints, disks, snapshotExists);
        if (!plan.incremental()) return plan;
        for (VmDisk d : disks) {
            if (!"qcow2".equals(d.format())) {
                return Plan.full("disk " + d.target() + " is " + d.format() + ", not qcow2: a shut-off domain's"
                        + " changes are known only from qcow2 persistent bitmaps; reading everything");
            }
        }
        if (!checkpoints.getLast().equals(plan.incrementalFrom())) {
            return Plan.full("checkpoint " + plan.incrementalFrom() + " of previous backup "
                    + plan.previous().id()
                    + " is not the domain's newest (" + checkpoints.getLast() + "); its bitmap may no longer"
                    + " record writes; reading everything");
        }
        return plan;
    }
}
