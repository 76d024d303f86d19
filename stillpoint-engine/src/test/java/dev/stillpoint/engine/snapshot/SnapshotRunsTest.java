package dev.stillpoint.engine.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.backup.BackupJob;
import dev.stillpoint.engine.backup.BackupOptions;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.fakes.InMemoryRepository;
import dev.stillpoint.engine.runs.OrphanRecovery;
import dev.stillpoint.engine.runs.RunDirectory;
import dev.stillpoint.engine.vm.SnapshotRequest;
import dev.stillpoint.engine.vm.VmException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vm snapshot create|revert|delete|prune-expired} hold the domain's run lock like a backup
 * (one run per domain, both ways) and a create journals the freeze and its overlays, so a later
 * run thaws the guest and removes overlays no snapshot owns when the create was killed.
 */
class SnapshotRunsTest {
    @TempDir
    Path tmp;

    interface Hook {
        void run() throws Exception;
    }

    /** Runs {@link #during} inside createSnapshot (the hypervisor call), then creates the overlay files. */
    final class HookedDomain extends VmSnapshotsTest.SnapshotDomain {
        Hook during;
        VmException fail;

        @Override
        public void createSnapshot(SnapshotRequest r) {
            try {
                if (during != null) during.run();
                for (Path p : r.overlays().values()) Files.writeString(p, "qcow2 overlay");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            if (fail != null) throw new IllegalStateException(fail);
            super.createSnapshot(r);
        }
    }

    HookedDomain domain;
    RunDirectory runs;
    List<String> warnings;
    VmSnapshots snapshots;
    Path overlays;

    @BeforeEach
    void setUp() throws Exception {
        domain = new HookedDomain();
        runs = RunDirectory.open(tmp.resolve("state"));
        warnings = new ArrayList<>();
        overlays = Files.createDirectories(tmp.resolve("ov"));
        var connector = VmSnapshotsTest.connector(domain);
        snapshots = new VmSnapshots(
                connector,
                Clock.fixed(VmSnapshotsTest.NOW, ZoneOffset.UTC),
                (c, m) -> warnings.add(c + ": " + m),
                runs,
                new OrphanRecovery(runs, connector, (c, m) -> warnings.add(c + ": " + m)));
    }

    VmSnapshots.CreateOptions quiescedExternal(String name) {
        return new VmSnapshots.CreateOptions(
                name,
                null,
                true,
                false,
                overlays,
                null,
                BackupOptions.defaults().withFreezeTimeout(Duration.ofSeconds(5)));
    }

    static void assertBusy(ThrowingCallable call) {
        assertThatThrownBy(call)
                .isInstanceOf(EngineException.class)
                .extracting(e -> ((EngineException) e).code())
                .isEqualTo(EngineException.Code.DOMAIN_BUSY);
    }

    @Test
    void everySnapshotChangeIsRefusedWhileAnotherRunHoldsTheDomain() throws Exception {
        domain.add("m1", "stillpoint: expires=2026-12-06T04:00:00Z", false);
        try (RunDirectory.DomainLock backup = runs.lockDomain(domain.uuid, domain.name)) {
            assertBusy(() -> snapshots.create("web1", quiescedExternal("s1")));
            assertBusy(() -> snapshots.revert("web1", "m1", null));
            assertBusy(() -> snapshots.delete("web1", "m1"));
            assertBusy(() -> snapshots.pruneExpired("web1"));
            assertBusy(() -> snapshots.pruneExpired(null));
        }
        assertThat(domain.created).isEmpty();
        assertThat(domain.events).isEmpty();
        assertThat(domain.agent.freezeThawCalls()).isEmpty();
        assertThat(warnings).anyMatch(w -> w.startsWith("domain-busy: "));
        // the lock is free again: the same calls go through
        snapshots.delete("web1", "m1");
        assertThat(domain.events).containsExactly("delete m1");
    }

    @Test
    void aBackupIsRefusedWhileASnapshotIsBeingCreated() throws Exception {
        List<Throwable> backup = new ArrayList<>();
        domain.during = () -> {
            try (Catalog catalog = Catalog.open(tmp.resolve("catalog.db"))) {
                BackupJob.builder()
                        .domain(domain)
                        .repository(new InMemoryRepository())
                        .catalog(catalog)
                        .blockSources(domain.opener())
                        .options(BackupOptions.defaults().withWorkDir(tmp.resolve("work")))
                        .runs(runs, null)
                        .build()
                        .run();
            } catch (Exception e) {
                backup.add(e);
            }
        };
        snapshots.create("web1", quiescedExternal("s1"));
        assertThat(backup).singleElement().satisfies(e -> {
            assertThat(e).isInstanceOf(EngineException.class).hasMessageContaining("snapshot-create run");
            assertThat(((EngineException) e).code()).isEqualTo(EngineException.Code.DOMAIN_BUSY);
        });
        assertThat(domain.sessionsOpen).isZero();
        assertThat(runFiles()).as("journal and lock file removed").isEmpty();
    }

    /**
     * Kills the create inside the hypervisor call: the journal as it is then is copied as a dead
     * run's (no lock holds it), and the guest is left frozen.
     */
    void killInsideCreate() {
        domain.during = () -> {
            try (Stream<Path> s = Files.list(runs.path())) {
                Path live = s.filter(p -> p.getFileName().toString().endsWith(".json"))
                        .findFirst()
                        .orElseThrow();
                Files.copy(live, runs.path().resolve("run-00000000000000d1.json"));
            }
        };
    }

    @Test
    void aCreateKilledBeforeLibvirtRecordedTheSnapshotIsThawedAndItsOverlayRemovedByTheNextRun() throws Exception {
        killInsideCreate();
        snapshots.create("web1", quiescedExternal("s1"));
        // what the kill leaves: the guest frozen, libvirt's overlay made, no snapshot recorded
        domain.snaps.clear();
        domain.agent.frozen = true;
        Path overlay = overlays.resolve("vda.s1.qcow2");
        assertThat(overlay).exists();
        domain.during = null;
        warnings.clear();

        snapshots.create("web1", quiescedExternal("s2"));

        assertThat(overlay).doesNotExist();
        assertThat(overlays.resolve("vda.s2.qcow2")).exists();
        assertThat(domain.agent.frozen).isFalse();
        assertThat(warnings)
                .anyMatch(w -> w.startsWith(OrphanRecovery.ORPHAN_RECOVERED + ": thawed the guest of domain web1"))
                .anyMatch(w -> w.startsWith(OrphanRecovery.ORPHAN_RECOVERED + ": removed " + overlay));
        assertThat(runFiles()).isEmpty();
    }

    @Test
    void aCreateKilledAfterLibvirtMadeTheSnapshotKeepsItsOverlay() throws Exception {
        killInsideCreate();
        snapshots.create("web1", quiescedExternal("s1"));
        Path overlay = overlays.resolve("vda.s1.qcow2");
        domain.during = null;
        warnings.clear();

        snapshots.delete("web1", "s1");

        assertThat(overlay)
                .as("the snapshot's overlay is not the dead run's to remove")
                .exists();
        assertThat(warnings)
                .anyMatch(w -> w.startsWith(OrphanRecovery.ORPHAN_RECOVERED + ": kept " + overlay)
                        && w.contains("created snapshot s1"));
        assertThat(runFiles()).isEmpty();
    }

    @Test
    void aFailedCreateRemovesTheOverlayLibvirtLeftAtOnce() throws Exception {
        domain.fail = new VmException(VmException.Code.OPERATION_FAILED, "qemu refused the overlay");
        assertThatThrownBy(() -> snapshots.create("web1", quiescedExternal("s1")))
                .hasMessageContaining("qemu refused the overlay");
        assertThat(overlays.resolve("vda.s1.qcow2")).doesNotExist();
        assertThat(domain.agent.frozen).isFalse();
        assertThat(runFiles()).isEmpty();
    }

    @Test
    void anExistingFileIsNeverTakenForAnOverlay() throws Exception {
        Path foreign = Files.writeString(overlays.resolve("vda.s1.qcow2"), "someone's image");
        assertThatThrownBy(() -> snapshots.create("web1", quiescedExternal("s1")))
                .isInstanceOf(EngineException.class)
                .hasMessageContaining("exists already");
        assertThat(foreign).hasContent("someone's image");
        assertThat(domain.agent.freezeThawCalls()).isEmpty();
        assertThat(runFiles()).isEmpty();
    }

    List<String> runFiles() throws Exception {
        try (Stream<Path> s = Files.list(runs.path())) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("run-"))
                    .toList();
        }
    }
}
