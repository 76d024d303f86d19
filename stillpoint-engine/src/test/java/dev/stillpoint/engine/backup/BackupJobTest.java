package dev.stillpoint.engine.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.catalog.Phase;
import dev.stillpoint.engine.fakes.FakeDisk;
import dev.stillpoint.engine.fakes.FakeDomain;
import dev.stillpoint.engine.fakes.InMemoryRepository;
import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackupJobTest {

    @TempDir
    Path tmp;

    FakeDomain domain;
    FakeDisk vda;
    InMemoryRepository repo;
    Catalog catalog;
    List<String> warnings;
    BackupOptions options;

    @BeforeEach
    void setUp() throws Exception {
        domain = new FakeDomain("sp-engine-web", "6f1c2d3e-0000-4000-8000-000000000001");
        vda = domain.addDisk("vda", 64); // 4 MiB disk, 64 KiB blocks
        vda.write(0, 3 * FakeDisk.BLOCK, (byte) 1); // 3 blocks allocated
        vda.write(40L * FakeDisk.BLOCK, FakeDisk.BLOCK, (byte) 2);
        repo = new InMemoryRepository();
        catalog = Catalog.open(tmp.resolve("catalog.db"));
        warnings = new ArrayList<>();
        options = BackupOptions.defaults()
                .withWorkDir(tmp.resolve("work"))
                .withReadBuffer(100_000)
                .withFreezeTimeout(Duration.ofMillis(300));
    }

    @AfterEach
    void tearDown() throws Exception {
        catalog.close();
    }

    BackupJob job(BackupOptions o) {
        return BackupJob.builder()
                .domain(domain)
                .repository(repo)
                .catalog(catalog)
                .blockSources(domain.opener())
                .options(o)
                .listener(new BackupListener() {
                    @Override
                    public void warning(String code, String message) {
                        warnings.add(code);
                    }
                })
                .build();
    }

    BackupResult backup() throws Exception {
        return job(options).run();
    }

    @Test
    void firstBackupIsFullReadsOnlyAllocatedExtentsAndRecordsEverything() throws Exception {
        BackupResult r = backup();

        BackupRecord rec = r.record();
        assertThat(rec.mode().label()).isEqualTo("full");
        assertThat(rec.status().label()).isEqualTo("complete");
        assertThat(rec.consistency().label()).isEqualTo("filesystem");
        assertThat(rec.checkpoint()).startsWith("stillpoint-");
        assertThat(domain.checkpoints()).containsExactly(rec.checkpoint());
        assertThat(rec.disks()).hasSize(1);
        assertThat(rec.disks().getFirst().bytesRead())
                .isEqualTo(vda.allocatedBytes())
                .isEqualTo(4L * FakeDisk.BLOCK);
        assertThat(domain.served("vda").bytesRead).isEqualTo(4L * FakeDisk.BLOCK);
        assertThat(rec.diskSize()).isEqualTo(64L * FakeDisk.BLOCK);
        assertThat(rec.freezeWindowMs()).isNotNull();
        assertThat(rec.phaseMs())
                .containsKeys(Phase.PREFLIGHT, Phase.FREEZE, Phase.BEGIN, Phase.THAW, Phase.COPY, Phase.END);
        assertThat(rec.domainXml()).contains("<name>sp-engine-web</name>");
        assertThat(repo.get(rec.disks().getFirst().snapshotId()).data()).isEqualTo(vda.data);
        // frozen while the backup began, thawed right after, job ended
        assertThat(domain.events.getFirst()).endsWith(" frozen");
        assertThat(domain.agent.freezeThawCalls()).containsExactly("freeze", "thaw");
        assertThat(domain.sessionsClosed).isEqualTo(domain.sessionsOpen).isEqualTo(1);
        assertThat(catalog.find(rec.id().substring(0, 6)).id()).isEqualTo(rec.id());
        assertThat(tmp.resolve("work")).isEmptyDirectory();
        // the repository describes the backup too (catalog rebuild reads it)
        assertThat(repo.records()).singleElement().satisfies(stored -> {
            assertThat(stored.name()).isEqualTo(rec.id());
            assertThat(stored.snapshots())
                    .containsExactly(
                            java.util.Map.entry("vda", rec.disks().getFirst().snapshotId()));
            assertThat(stored.body()).contains("\"consistency\":\"filesystem\"").contains("sp-engine-web");
        });
    }

    @Test
    void aRawDiskMakesNoCheckpointAndEveryBackupReadsItAllSayingWhy() throws Exception {
        domain.formats.put("vda", "raw"); // e.g. <disk type='block'> on an LVM volume
        BackupRecord first = backup().record();
        vda.write(10L * FakeDisk.BLOCK, FakeDisk.BLOCK, (byte) 7);
        BackupRecord second = backup().record();

        assertThat(warnings).containsExactly("no-dirty-bitmap", "no-dirty-bitmap");
        assertThat(second.warnings().getFirst()).contains("vda (raw,", "cannot hold a persistent dirty bitmap");
        for (BackupRecord r : List.of(first, second)) {
            assertThat(r.mode().label()).isEqualTo("full");
            assertThat(r.checkpoint()).isNull();
            assertThat(r.parentBackup()).isNull();
        }
        assertThat(domain.checkpoints()).isEmpty();
        assertThat(domain.events).allMatch(e -> !e.startsWith("begin ") || e.startsWith("begin null "));
        assertThat(second.disks().getFirst().bytesRead()).isEqualTo(vda.allocatedBytes());
        assertThat(repo.get(second.disks().getFirst().snapshotId()).data()).isEqualTo(vda.data);
    }

    @Test
    void secondBackupIsIncrementalAndReadsAboutTheDirtyBytes() throws Exception {
        BackupRecord first = backup().record();
        vda.write(10L * FakeDisk.BLOCK, 2 * FakeDisk.BLOCK, (byte) 7);
        vda.write(0, 100, (byte) 9);
        long dirty = vda.dirtyBytes(first.checkpoint());

        BackupRecord second = backup().record();

        assertThat(second.mode().label()).isEqualTo("incremental");
        assertThat(second.parentBackup()).isEqualTo(first.id());
        assertThat(domain.lastIncrementalFrom).isEqualTo(first.checkpoint());
        assertThat(dirty).isEqualTo(3L * FakeDisk.BLOCK);
        assertThat(second.bytesRead()).isEqualTo(dirty);
        assertThat(second.disks().getFirst().parentSnapshot())
                .isEqualTo(first.disks().getFirst().snapshotId());
        // the incremental snapshot is a whole image on its own
        assertThat(repo.get(second.disks().getFirst().snapshotId()).data()).isEqualTo(vda.data);
        // only the chain tip remains
        assertThat(domain.checkpoints()).containsExactly(second.checkpoint());
    }

    @Test
    void missingCheckpointFallsBackToFullWithWarningAndNewChain() throws Exception {
        BackupRecord first = backup().record();
        domain.deleteCheckpoint(first.checkpoint()); // checkpoint metadata lost
        vda.write(5L * FakeDisk.BLOCK, 10, (byte) 3);

        BackupRecord second = backup().record();

        assertThat(second.mode().label()).isEqualTo("full");
        assertThat(second.parentBackup()).isNull();
        assertThat(second.bytesRead()).isEqualTo(vda.allocatedBytes());
        assertThat(warnings).contains("bitmap-drift");
        assertThat(second.warnings()).anyMatch(w -> w.contains(first.checkpoint()));
        assertThat(repo.get(second.disks().getFirst().snapshotId()).data()).isEqualTo(vda.data);

        vda.write(20L * FakeDisk.BLOCK, 10, (byte) 4);
        assertThat(backup().record().mode().label()).isEqualTo("incremental");
    }

    @Test
    void bitmapBrokenInsideImageFallsBackToFull() throws Exception {
        backup();
        domain.bitmapsBroken = true;
        vda.write(5L * FakeDisk.BLOCK, 10, (byte) 3);

        BackupRecord second = backup().record();

        assertThat(second.mode().label()).isEqualTo("full");
        assertThat(second.bytesRead()).isEqualTo(vda.allocatedBytes());
        assertThat(warnings).containsExactly("bitmap-drift");
        assertThat(repo.get(second.disks().getFirst().snapshotId()).data()).isEqualTo(vda.data);
    }

    @Test
    void missingParentSnapshotInRepositoryFallsBackToFull() throws Exception {
        BackupRecord first = backup().record();
        repo.remove(first.disks().getFirst().snapshotId());

        BackupRecord second = backup().record();

        assertThat(second.mode().label()).isEqualTo("full");
        assertThat(warnings).contains("bitmap-drift");
    }

    @Test
    void forcedFullReadsEverythingEvenWhenIncrementalIsPossible() throws Exception {
        backup();
        BackupRecord second = job(options.withForceFull(true)).run().record();
        assertThat(second.mode().label()).isEqualTo("full");
        assertThat(domain.lastIncrementalFrom).isNull();
        assertThat(warnings).isEmpty();
    }

    @Test
    void freezeTimeoutWithPreferredThawsAndContinuesCrashConsistent() throws Exception {
        domain.agent.freezeDelay = Duration.ofMillis(1500);

        BackupRecord rec = backup().record();

        assertThat(rec.status().label()).isEqualTo("complete");
        assertThat(rec.consistency().label()).isEqualTo("crash");
        assertThat(warnings).contains("quiesce-failed");
        assertThat(domain.agent.freezeThawCalls()).startsWith("freeze", "thaw");
        assertThat(domain.agent.frozen)
                .as("guest left thawed even though freeze completed late")
                .isFalse();
    }

    @Test
    void freezeErrorWithRequiredThawsFailsAndLeavesNothing() throws Exception {
        domain.agent.freezeError = new VmException(VmException.Code.FREEZE_FAILED, "hook 10-postgres exited 1");

        assertThatThrownBy(() ->
                        job(options.withPolicy(ConsistencyPolicy.REQUIRED)).run())
                .isInstanceOf(EngineException.class)
                .hasMessageContaining("hook 10-postgres exited 1")
                .extracting(e -> ((EngineException) e).code())
                .isEqualTo(EngineException.Code.QUIESCE_FAILED);

        assertThat(domain.agent.freezeThawCalls()).containsExactly("freeze", "thaw");
        assertThat(domain.sessionsOpen).isZero();
        assertThat(domain.checkpoints()).isEmpty();
        assertThat(catalog.list(null))
                .singleElement()
                .extracting(r -> r.status().label())
                .isEqualTo("failed");
        assertThat(tmp.resolve("work")).isEmptyDirectory();
    }

    @Test
    void freezeTimeoutWithRequiredFails() {
        domain.agent.freezeDelay = Duration.ofMillis(2500);
        assertThatThrownBy(() ->
                        job(options.withPolicy(ConsistencyPolicy.REQUIRED)).run())
                .hasMessageContaining("did not return within 300 ms");
        assertThat(domain.agent.frozen).isFalse();
        assertThat(domain.checkpoints()).isEmpty();
    }

    @Test
    void agentMissingIsCrashConsistentWhenPreferredAndFailsWhenRequired() throws Exception {
        domain.agent.answers = false;
        assertThatThrownBy(() ->
                        job(options.withPolicy(ConsistencyPolicy.REQUIRED)).run())
                .isInstanceOf(EngineException.class)
                .hasMessageContaining("guest-ping");
        assertThat(domain.sessionsOpen).isZero();

        BackupRecord rec = backup().record();
        assertThat(rec.consistency().label()).isEqualTo("crash");
        assertThat(rec.freezeWindowMs()).isNull();
        assertThat(domain.agent.freezeThawCalls()).isEmpty();
        assertThat(warnings).contains("agent-unavailable");
    }

    @Test
    void aRepositoryErrorWhileLookingForTheParentKeepsItsCodeAndLeavesNothingBehind() throws Exception {
        BackupRecord first = backup().record();
        repo.failLookups = new dev.stillpoint.repository.RepositoryException(
                dev.stillpoint.repository.RepositoryException.Code.LOCKED, "repository is locked by pid 42");

        assertThatThrownBy(this::backup)
                .isInstanceOfSatisfying(
                        dev.stillpoint.repository.RepositoryException.class,
                        e -> assertThat(e.code()).isEqualTo(dev.stillpoint.repository.RepositoryException.Code.LOCKED));

        assertThat(domain.agent.frozen).isFalse();
        assertThat(domain.checkpoints()).containsExactly(first.checkpoint());
        assertThat(catalog.list(null)).extracting(r -> r.status().label()).containsExactly("complete", "failed");
    }

    @Test
    void copyFailureThawsEndsJobDeletesNewCheckpointAndRecordsFailure() throws Exception {
        BackupRecord first = backup().record();
        domain.maxExtentsPerReply = 100;
        BlockSourceOpener failing = (socket, export, contexts) -> {
            BlockSource s = domain.opener().open(socket, export, contexts);
            ((FakeDisk.Source) s).failRead = new IOException("NBD read failed: connection reset");
            return s;
        };
        BackupJob job = BackupJob.builder()
                .domain(domain)
                .repository(repo)
                .catalog(catalog)
                .blockSources(failing)
                .options(options)
                .build();
        vda.write(0, 10, (byte) 5);

        assertThatThrownBy(job::run)
                .isInstanceOfSatisfying(
                        EngineException.class, e -> assertThat(e.code()).isEqualTo(EngineException.Code.COPY_FAILED))
                .hasMessageContaining("connection reset")
                .hasMessageContaining("domain " + domain.name() + " disk vda")
                .hasMessageContaining("at offset 0");

        assertThat(domain.agent.frozen).isFalse();
        assertThat(domain.sessionsClosed).isEqualTo(domain.sessionsOpen).isEqualTo(2);
        assertThat(domain.checkpoints())
                .as("new checkpoint removed, chain tip kept")
                .containsExactly(first.checkpoint());
        assertThat(repo.writersAbandoned).isEqualTo(1);
        assertThat(catalog.list(null)).extracting(r -> r.status().label()).containsExactly("complete", "failed");
        assertThat(catalog.lastComplete(domain.uuid))
                .get()
                .extracting(BackupRecord::id)
                .isEqualTo(first.id());
        assertThat(tmp.resolve("work")).isEmptyDirectory();
        // next run still incremental from the first
        assertThat(backup().record().parentBackup()).isEqualTo(first.id());
    }

    @Test
    void beginFailureThawsAndLeavesNoCheckpoint() {
        domain.beginError = new VmException(VmException.Code.BACKUP_FAILED, "nbd-server-start: Permission denied");
        assertThatThrownBy(this::backup).isInstanceOf(VmException.class).hasMessageContaining("Permission denied");
        assertThat(domain.agent.freezeThawCalls()).containsExactly("freeze", "thaw");
        assertThat(domain.checkpoints()).isEmpty();
    }

    @Test
    void cancelDuringCopyCleansUp() throws Exception {
        BackupJob[] holder = new BackupJob[1];
        holder[0] = BackupJob.builder()
                .domain(domain)
                .repository(repo)
                .catalog(catalog)
                .blockSources(domain.opener())
                .options(options)
                .listener(new BackupListener() {
                    @Override
                    public void progress(String disk, long done, long total) {
                        if (done > 0) holder[0].cancel();
                    }
                })
                .build();
        assertThatThrownBy(() -> holder[0].run())
                .isInstanceOf(EngineException.class)
                .extracting(e -> ((EngineException) e).code())
                .isEqualTo(EngineException.Code.CANCELLED);
        assertThat(holder[0].awaitFinished(Duration.ofSeconds(1))).isTrue();
        assertThat(domain.checkpoints()).isEmpty();
        assertThat(domain.sessionsClosed).isEqualTo(1);
        assertThat(domain.agent.frozen).isFalse();
    }

    @Test
    void foreignCheckpointsAreNeverDeletedAndNeverUsed() throws Exception {
        domain.addForeignCheckpoint("virtnbdbackup.0");
        BackupRecord first = backup().record();
        vda.write(0, 10, (byte) 5);
        BackupRecord second = backup().record();
        assertThat(second.mode().label()).isEqualTo("incremental");
        assertThat(domain.lastIncrementalFrom).isEqualTo(first.checkpoint());
        assertThat(domain.checkpoints()).containsExactly("virtnbdbackup.0", second.checkpoint());
    }

    @Test
    void applicationConsistencyWhenTheGuestReportsHooksSucceeded() throws Exception {
        domain.agent.reportBefore = "{\"run\":1,\"hooks\":[{\"name\":\"10-postgres\",\"ok\":true}]}";
        domain.agent.reportAfterFreeze = "{\"run\":2,\"hooks\":[{\"name\":\"10-postgres\",\"ok\":true}]}";
        BackupRecord rec = backup().record();
        assertThat(rec.consistency().label()).isEqualTo("application");
        assertThat(rec.guestReport()).contains("\"run\":2");
    }

    @Test
    void staleOrFailedHookReportGivesFilesystemConsistency() throws Exception {
        String stale = "{\"hooks\":[{\"name\":\"10-postgres\",\"ok\":true}]}";
        domain.agent.reportBefore = stale;
        domain.agent.reportAfterFreeze = stale;
        assertThat(backup().record().consistency().label()).isEqualTo("filesystem");

        domain.agent.reportAfterFreeze = "{\"hooks\":[{\"name\":\"10-postgres\",\"ok\":false}]}";
        assertThat(backup().record().consistency().label()).isEqualTo("filesystem");
    }

    @Test
    void skippedDisksAreReportedAndNoDiskFails() throws Exception {
        domain.skipped.add(new VmDisk("sda", "/iso/debian.iso", "raw", "cdrom"));
        BackupRecord rec = backup().record();
        assertThat(warnings).contains("disk-skipped");
        assertThat(rec.disks()).extracting(d -> d.target()).containsExactly("vda");

        FakeDomain empty = new FakeDomain("sp-engine-empty", "6f1c2d3e-0000-4000-8000-000000000002");
        empty.skipped.add(new VmDisk("sda", "/iso/debian.iso", "raw", "cdrom"));
        assertThatThrownBy(() -> BackupJob.builder()
                        .domain(empty)
                        .repository(repo)
                        .catalog(catalog)
                        .blockSources(empty.opener())
                        .options(options)
                        .build()
                        .run())
                .isInstanceOf(EngineException.class)
                .hasMessageContaining("no file- or block-backed");
    }

    @Test
    void shutOffDomainIsReadInFullThroughTheOfflineExporter() throws Exception {
        domain.state = VmDomain.State.SHUTOFF;
        List<String> exported = new ArrayList<>();
        FakeDisk.Source[] src = new FakeDisk.Source[1];
        OfflineExporter exporter = (disk, socket, bitmap) -> {
            exported.add(disk.target() + "@" + socket.getFileName());
            src[0] = domain.disks.get(disk.target()).open(null, null, 3);
            return new OfflineExporter.Export() {
                @Override
                public Path socket() {
                    return socket;
                }

                @Override
                public String exportName() {
                    return disk.target();
                }

                @Override
                public void close() {
                    exported.add("stopped");
                }
            };
        };
        BackupRecord rec = BackupJob.builder()
                .domain(domain)
                .repository(repo)
                .catalog(catalog)
                .blockSources((s, e, c) -> src[0])
                .offlineExporter(exporter)
                .options(options)
                .build()
                .run()
                .record();

        assertThat(rec.consistency().label()).isEqualTo("clean-shutdown");
        assertThat(rec.mode().label()).isEqualTo("full");
        assertThat(rec.checkpoint()).isNull();
        assertThat(exported).containsExactly("vda@vda.sock", "stopped");
        assertThat(domain.agent.calls).isEmpty();
        assertThat(repo.get(rec.disks().getFirst().snapshotId()).data()).isEqualTo(vda.data);
    }

    /** Serves the fake disks like qemu-nbd: with a bitmap only when the disk has it and it is not "in use". */
    OfflineExporter fakeQemuNbd(List<String> exported, FakeDisk.Source[] src, List<String> inUse) {
        return (disk, socket, bitmap) -> {
            FakeDisk fd = domain.disks.get(disk.target());
            if (bitmap != null && (!fd.hasBitmap(bitmap) || inUse.contains(bitmap))) {
                throw new EngineException(
                        EngineException.Code.TOOL_FAILED,
                        "qemu-nbd could not export " + disk.source() + " with bitmap " + bitmap + " (exit 1): Bitmap '"
                                + bitmap + "' is inconsistent and cannot be used");
            }
            exported.add(disk.target() + "@" + socket.getFileName() + (bitmap == null ? "" : " -B " + bitmap));
            src[0] = bitmap == null
                    ? fd.open(null, null, 3)
                    : fd.open(OfflineExporter.dirtyBitmapContext(bitmap), fd.bitmap(bitmap), 3);
            return new OfflineExporter.Export() {
                @Override
                public Path socket() {
                    return socket;
                }

                @Override
                public String exportName() {
                    return disk.target();
                }

                @Override
                public void close() {
                    exported.add("stopped");
                }
            };
        };
    }

    BackupResult offlineBackup(OfflineExporter exporter, FakeDisk.Source[] src) throws Exception {
        return BackupJob.builder()
                .domain(domain)
                .repository(repo)
                .catalog(catalog)
                .blockSources((s, e, c) -> src[0])
                .offlineExporter(exporter)
                .options(options)
                .listener(new BackupListener() {
                    @Override
                    public void warning(String code, String message) {
                        warnings.add(code);
                    }
                })
                .build()
                .run();
    }

    @Test
    void shutOffDomainIsIncrementalFromTheLastCheckpointAndTheNextOnlineBackupContinuesFromIt() throws Exception {
        BackupRecord online = backup().record();
        String cp = online.checkpoint();
        vda.write(10L * FakeDisk.BLOCK, 2 * FakeDisk.BLOCK, (byte) 7); // written before the shutdown
        domain.state = VmDomain.State.SHUTOFF;
        List<String> exported = new ArrayList<>();
        FakeDisk.Source[] src = new FakeDisk.Source[1];

        BackupRecord off =
                offlineBackup(fakeQemuNbd(exported, src, List.of()), src).record();

        assertThat(off.mode().label()).isEqualTo("incremental");
        assertThat(off.consistency().label()).isEqualTo("clean-shutdown");
        assertThat(off.checkpoint()).isEqualTo(cp);
        assertThat(off.parentBackup()).isEqualTo(online.id());
        assertThat(exported).containsExactly("vda@vda-bitmap.sock -B " + cp, "stopped");
        assertThat(off.bytesRead()).isEqualTo(2L * FakeDisk.BLOCK).isLessThan(vda.allocatedBytes());
        assertThat(off.disks().getFirst().parentSnapshot())
                .isEqualTo(online.disks().getFirst().snapshotId());
        assertThat(repo.get(off.disks().getFirst().snapshotId()).data()).isEqualTo(vda.data);
        assertThat(domain.checkpoints()).containsExactly(cp);
        assertThat(warnings).isEmpty();

        // another night: still off, nothing new can be a checkpoint; again incremental from cp over the last one
        BackupRecord off2 =
                offlineBackup(fakeQemuNbd(exported, src, List.of()), src).record();
        assertThat(off2.mode().label()).isEqualTo("incremental");
        assertThat(off2.checkpoint()).isEqualTo(cp);
        assertThat(off2.parentBackup()).isEqualTo(off.id());

        domain.state = VmDomain.State.RUNNING;
        vda.write(30L * FakeDisk.BLOCK, 10, (byte) 8);
        BackupRecord next = backup().record();
        assertThat(next.mode().label()).isEqualTo("incremental");
        assertThat(domain.lastIncrementalFrom).isEqualTo(cp);
        assertThat(next.parentBackup()).isEqualTo(off2.id());
        // a superset of what changed since the offline backup: everything since cp
        assertThat(next.bytesRead()).isEqualTo(3L * FakeDisk.BLOCK);
        assertThat(repo.get(next.disks().getFirst().snapshotId()).data()).isEqualTo(vda.data);
        assertThat(domain.checkpoints()).containsExactly(next.checkpoint());
    }

    @Test
    void checkpointReadOfflineIsNeverDeletedWhileItIsTheLatestRecordedOne() throws Exception {
        BackupRecord online = backup().record();
        String cp = online.checkpoint();
        domain.state = VmDomain.State.SHUTOFF;
        vda.write(10L * FakeDisk.BLOCK, 10, (byte) 7);
        FakeDisk.Source[] src = new FakeDisk.Source[1];
        BackupRecord off = offlineBackup(fakeQemuNbd(new ArrayList<>(), src, List.of()), src)
                .record();
        assertThat(off.checkpoint()).isEqualTo(cp);

        // an online backup that fails removes only its own new checkpoint
        domain.state = VmDomain.State.RUNNING;
        domain.maxExtentsPerReply = 100;
        BlockSourceOpener failing = (socket, export, contexts) -> {
            BlockSource s = domain.opener().open(socket, export, contexts);
            ((FakeDisk.Source) s).failRead = new IOException("NBD read failed: connection reset");
            return s;
        };
        assertThatThrownBy(BackupJob.builder()
                        .domain(domain)
                        .repository(repo)
                        .catalog(catalog)
                        .blockSources(failing)
                        .options(options)
                        .build()::run)
                .isInstanceOfSatisfying(
                        EngineException.class, e -> assertThat(e.code()).isEqualTo(EngineException.Code.COPY_FAILED));
        assertThat(domain.checkpoints()).containsExactly(cp);

        BackupRecord next = backup().record();
        assertThat(next.mode().label()).isEqualTo("incremental");
        assertThat(next.parentBackup()).isEqualTo(off.id());
        assertThat(domain.lastIncrementalFrom).isEqualTo(cp);
        assertThat(domain.checkpoints())
                .as("pruned only once a newer checkpoint is recorded")
                .containsExactly(next.checkpoint());
    }

    @Test
    void bitmapInUseAfterAnUncleanShutdownFallsBackToAFullReadWithoutCheckpoint() throws Exception {
        BackupRecord online = backup().record();
        vda.write(10L * FakeDisk.BLOCK, FakeDisk.BLOCK, (byte) 7);
        domain.state = VmDomain.State.SHUTOFF;
        List<String> exported = new ArrayList<>();
        FakeDisk.Source[] src = new FakeDisk.Source[1];

        BackupResult r = offlineBackup(fakeQemuNbd(exported, src, List.of(online.checkpoint())), src);

        BackupRecord off = r.record();
        assertThat(off.mode().label()).isEqualTo("full");
        assertThat(off.checkpoint()).isNull();
        assertThat(off.parentBackup()).isNull();
        assertThat(off.bytesRead()).isEqualTo(vda.allocatedBytes());
        assertThat(exported).containsExactly("vda@vda.sock", "stopped");
        assertThat(warnings).containsExactly("bitmap-unusable");
        assertThat(r.warnings()).anyMatch(w -> w.contains("inconsistent") && w.contains(online.checkpoint()));
        assertThat(repo.get(off.disks().getFirst().snapshotId()).data()).isEqualTo(vda.data);
        // the checkpoint is left alone offline
        assertThat(domain.checkpoints()).containsExactly(online.checkpoint());

        domain.state = VmDomain.State.RUNNING;
        assertThat(backup().record().mode().label()).isEqualTo("full");
    }

    @Test
    void shutOffDomainWhoseCheckpointIsGoneIsReadInFull() throws Exception {
        BackupRecord online = backup().record();
        domain.deleteCheckpoint(online.checkpoint());
        domain.state = VmDomain.State.SHUTOFF;
        List<String> exported = new ArrayList<>();
        FakeDisk.Source[] src = new FakeDisk.Source[1];

        BackupRecord off =
                offlineBackup(fakeQemuNbd(exported, src, List.of()), src).record();

        assertThat(off.mode().label()).isEqualTo("full");
        assertThat(off.checkpoint()).isNull();
        assertThat(warnings).containsExactly("bitmap-drift");
        assertThat(exported).containsExactly("vda@vda.sock", "stopped");
    }

    static long count(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }
}
