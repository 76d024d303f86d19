package dev.stillpoint.engine.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Consistency;
import dev.stillpoint.engine.catalog.DiskRecord;
import dev.stillpoint.engine.vm.VmDisk;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The planner's decisions for a shut-off domain (offline incremental and its fallbacks). */
class IncrementalPlannerTest {

    static final VmDisk VDA = new VmDisk("vda", "/images/web-vda.qcow2", "qcow2", null);
    static final VmDisk VDB = new VmDisk("vdb", "/images/web-vdb.qcow2", "qcow2", null);

    static Optional<BackupRecord> previous(String checkpoint, String... targets) {
        List<DiskRecord> disks = java.util.Arrays.stream(targets)
                .map(t -> new DiskRecord(t, "/images/web-" + t + ".qcow2", "qcow2", 1 << 20, "snap-" + t, null, 0, 0))
                .toList();
        return Optional.of(BackupRecord.builder("b1", "web", Instant.EPOCH)
                .vmUuid("uuid")
                .finishedAt(Instant.EPOCH)
                .status(BackupRecord.Status.COMPLETE)
                .mode(BackupRecord.Mode.FULL)
                .consistency(Consistency.FILESYSTEM)
                .checkpoint(checkpoint)
                .domainXml("<domain/>")
                .disks(disks)
                .build());
    }

    static IncrementalPlanner.Plan offline(Optional<BackupRecord> prev, List<String> checkpoints, VmDisk... disks) {
        return IncrementalPlanner.decideOffline(false, prev, checkpoints, List.of(disks), id -> true);
    }

    @Test
    void shutOffDomainWithTheLastCheckpointIsIncrementalFromIt() {
        IncrementalPlanner.Plan p = offline(previous("stillpoint-1", "vda", "vdb"), List.of("stillpoint-1"), VDA, VDB);
        assertThat(p.incremental()).isTrue();
        assertThat(p.incrementalFrom()).isEqualTo("stillpoint-1");
        assertThat(p.previous().id()).isEqualTo("b1");
        assertThat(p.parentSnapshots()).isEqualTo(Map.of("vda", "snap-vda", "vdb", "snap-vdb"));
        assertThat(p.warning()).isNull();
    }

    @Test
    void noPreviousBackupOrForcedFullIsFullWithoutWarning() {
        assertThat(offline(Optional.empty(), List.of("stillpoint-1"), VDA))
                .isEqualTo(IncrementalPlanner.Plan.full(null));
        assertThat(IncrementalPlanner.decideOffline(
                        true, previous("stillpoint-1", "vda"), List.of("stillpoint-1"), List.of(VDA), id -> true))
                .isEqualTo(IncrementalPlanner.Plan.full(null));
    }

    @Test
    void previousFullOfflineBackupHasNoCheckpointSoThisOneIsFull() {
        IncrementalPlanner.Plan p = offline(previous(null, "vda"), List.of(), VDA);
        assertThat(p.incremental()).isFalse();
        assertThat(p.warning()).contains("b1", "no checkpoint");
    }

    @Test
    void checkpointGoneFromTheDomainIsFullWithWarning() {
        IncrementalPlanner.Plan p = offline(previous("stillpoint-1", "vda"), List.of("other-tool-cp"), VDA);
        assertThat(p.incremental()).isFalse();
        assertThat(p.warning()).contains("stillpoint-1", "gone");
    }

    @Test
    void changedDiskSetIsFullWithWarning() {
        IncrementalPlanner.Plan p = offline(previous("stillpoint-1", "vda"), List.of("stillpoint-1"), VDA, VDB);
        assertThat(p.incremental()).isFalse();
        assertThat(p.warning()).contains("vdb", "not in previous backup");
    }

    @Test
    void missingParentSnapshotIsFullWithWarning() {
        IncrementalPlanner.Plan p = IncrementalPlanner.decideOffline(
                false, previous("stillpoint-1", "vda"), List.of("stillpoint-1"), List.of(VDA), id -> false);
        assertThat(p.incremental()).isFalse();
        assertThat(p.warning()).contains("snap-vda", "missing");
    }

    @Test
    void rawDiskHasNoPersistentBitmapSoTheBackupIsFull() {
        VmDisk raw = new VmDisk("vdb", "/images/web-vdb.img", "raw", null);
        IncrementalPlanner.Plan p = offline(previous("stillpoint-1", "vda", "vdb"), List.of("stillpoint-1"), VDA, raw);
        assertThat(p.incremental()).isFalse();
        assertThat(p.warning()).contains("vdb", "raw", "not qcow2");
    }

    @Test
    void aNewerCheckpointMeansTheBitmapMayBeInactiveSoTheBackupIsFull() {
        IncrementalPlanner.Plan p =
                offline(previous("stillpoint-1", "vda"), List.of("stillpoint-1", "other-tool-cp"), VDA);
        assertThat(p.incremental()).isFalse();
        assertThat(p.warning()).contains("stillpoint-1", "other-tool-cp", "newest");
        // online, a newer foreign checkpoint does not prevent an incremental (libvirt merges bitmaps)
        assertThat(IncrementalPlanner.decide(
                                false,
                                previous("stillpoint-1", "vda"),
                                List.of("stillpoint-1", "other-tool-cp"),
                                List.of(VDA),
                                id -> true)
                        .incremental())
                .isTrue();
    }
}
