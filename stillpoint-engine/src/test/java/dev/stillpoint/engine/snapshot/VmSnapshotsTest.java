package dev.stillpoint.engine.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.backup.BackupOptions;
import dev.stillpoint.engine.backup.ConsistencyPolicy;
import dev.stillpoint.engine.fakes.FakeDomain;
import dev.stillpoint.engine.vm.SnapshotRequest;
import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import dev.stillpoint.engine.vm.VmSnapshot;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class VmSnapshotsTest {
    static final Instant NOW = Instant.parse("2026-12-06T05:00:00Z");

    /** A domain whose snapshots are kept in a list; records creates, reverts and deletes. */
    static class SnapshotDomain extends FakeDomain {
        final List<VmSnapshot> snaps = new ArrayList<>();
        final List<SnapshotRequest> created = new ArrayList<>();

        SnapshotDomain() {
            super("web1", "u-web1");
            addDisk("vda", 4);
        }

        @Override
        public List<VmSnapshot> snapshots() {
            return List.copyOf(snaps);
        }

        @Override
        public void createSnapshot(SnapshotRequest r) {
            events.add("create " + r.name() + (agent.frozen ? " frozen" : ""));
            created.add(r);
            snaps.add(new VmSnapshot(r.name(), r.description(), NOW, "running", null, true, "no", List.of()));
        }

        @Override
        public void updateSnapshotDescription(String name, String description) {
            events.add("describe " + name + " " + description);
        }

        @Override
        public void revertToSnapshot(String name, State after) {
            events.add("revert " + name + " " + after);
        }

        @Override
        public void deleteSnapshot(String name) {
            events.add("delete " + name);
            snaps.removeIf(s -> s.name().equals(name));
        }

        void add(String name, String description, boolean external) {
            snaps.add(new VmSnapshot(
                    name,
                    description,
                    NOW,
                    "running",
                    null,
                    false,
                    external ? "no" : "internal",
                    List.of(new VmSnapshot.Disk("vda", external ? "external" : "internal", null))));
        }
    }

    final SnapshotDomain domain = new SnapshotDomain();
    final List<String> warnings = new ArrayList<>();
    final VmSnapshots snapshots =
            new VmSnapshots(connector(domain), Clock.fixed(NOW, ZoneOffset.UTC), (c, m) -> warnings.add(c));

    static VmConnector connector(VmDomain d) {
        return new VmConnector() {
            @Override
            public Optional<VmDomain> find(String n) {
                return n.equals(d.name()) || n.equals(d.uuid()) ? Optional.of(d) : Optional.empty();
            }

            @Override
            public VmDomain define(String xml) {
                throw new UnsupportedOperationException();
            }

            @Override
            public List<String> domainNames() {
                return List.of(d.name());
            }

            @Override
            public void close() {}
        };
    }

    static VmSnapshots.CreateOptions options(boolean quiesce, boolean memory, Path external, Duration expire) {
        return new VmSnapshots.CreateOptions(
                "s1",
                null,
                quiesce,
                memory,
                external,
                expire,
                BackupOptions.defaults().withPolicy(ConsistencyPolicy.REQUIRED));
    }

    @Test
    void aRunningDomainNeedsMemoryOrExternal() {
        assertThatThrownBy(() -> snapshots.create("web1", options(false, false, null, null)))
                .isInstanceOf(EngineException.class)
                .hasMessageContaining("--memory")
                .hasMessageContaining("--external");
        assertThatThrownBy(() -> snapshots.create("web1", options(true, true, null, null)))
                .hasMessageContaining("--memory with --quiesce");
        domain.state = VmDomain.State.SHUTOFF;
        assertThatThrownBy(() -> snapshots.create("web1", options(false, true, null, null)))
                .hasMessageContaining("no memory to save");
        assertThat(domain.created).isEmpty();
    }

    @Test
    void quiescedExternalSnapshotIsTakenFrozenAndRecordsTheConsistencyAfterTheThaw() throws Exception {
        VmSnapshots.Created c = snapshots.create("web1", options(true, false, Path.of("/ov"), Duration.ofHours(2)));
        assertThat(domain.events).element(0).isEqualTo("create s1 frozen");
        assertThat(domain.agent.frozen).as("thawed").isFalse();
        assertThat(domain.created.get(0).overlays()).containsEntry("vda", Path.of("/ov/vda.s1.qcow2"));
        assertThat(c.metadata().consistency()).isEqualTo("filesystem");
        assertThat(c.metadata().expires()).isEqualTo(NOW.plus(Duration.ofHours(2)));
        assertThat(domain.events.get(1))
                .startsWith("describe s1 stillpoint: consistency=filesystem expires=2026-12-06T07:00:00Z");
    }

    @Test
    void aGuestThatCannotBeFrozenGetsNoSnapshot() {
        domain.agent.answers = false;
        assertThatThrownBy(() -> snapshots.create("web1", options(true, false, Path.of("/ov"), null)))
                .isInstanceOf(EngineException.class)
                .extracting(e -> ((EngineException) e).code())
                .isEqualTo(EngineException.Code.QUIESCE_FAILED);
        assertThat(domain.created).isEmpty();
    }

    @Test
    void memorySnapshotIsNotFrozen() throws Exception {
        VmSnapshots.Created c = snapshots.create("web1", options(false, true, null, null));
        assertThat(domain.events).containsExactly("create s1");
        assertThat(c.metadata().consistency()).isEqualTo("memory");
        assertThat(domain.created.get(0).external()).isFalse();
        assertThat(domain.created.get(0).description()).startsWith("stillpoint: consistency=memory");
    }

    @Test
    void revertDropsStillpointCheckpointsFirstAndRefusesExternal() throws Exception {
        domain.checkpoints.add("stillpoint-20261206T040000-aa");
        domain.addForeignCheckpoint("virtnbdbackup.0");
        domain.add("m1", null, false);
        domain.add("x1", null, true);
        snapshots.revert("web1", "m1", VmDomain.State.RUNNING);
        assertThat(domain.checkpoints).containsExactly("virtnbdbackup.0");
        assertThat(domain.events).last().isEqualTo("revert m1 RUNNING");
        assertThat(warnings).containsExactlyInAnyOrder("checkpoint-dropped", "foreign-checkpoint");
        assertThatThrownBy(() -> snapshots.revert("web1", "x1", null)).hasMessageContaining("external");
        assertThatThrownBy(() -> snapshots.revert("web1", "nope", null))
                .isInstanceOf(VmException.class)
                .extracting(e -> ((VmException) e).code())
                .isEqualTo(VmException.Code.SNAPSHOT_NOT_FOUND);
    }

    @Test
    void pruneDeletesOnlyExpiredOnesChildrenFirst() throws Exception {
        domain.add("old-parent", "stillpoint: expires=2026-12-06T04:00:00Z", false);
        domain.add("keep", "stillpoint: expires=2026-12-07T00:00:00Z", false);
        domain.add("forever", "made by virsh", false);
        domain.add("old-child", "x\nstillpoint: expires=2026-12-06T05:00:00Z", true);
        assertThat(snapshots.list("web1"))
                .extracting(SnapshotView::name, SnapshotView::expired)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("old-parent", true),
                        org.assertj.core.groups.Tuple.tuple("keep", false),
                        org.assertj.core.groups.Tuple.tuple("forever", false),
                        org.assertj.core.groups.Tuple.tuple("old-child", true));
        assertThat(snapshots.pruneExpired(null)).containsExactly("web1/old-child", "web1/old-parent");
        assertThat(domain.snaps).extracting(VmSnapshot::name).containsExactly("keep", "forever");
    }
}
