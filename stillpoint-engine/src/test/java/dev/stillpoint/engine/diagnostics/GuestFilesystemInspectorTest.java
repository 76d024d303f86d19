package dev.stillpoint.engine.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.engine.vm.VmException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GuestFilesystemInspectorTest {
    private final FakeInspectedDomain domain = new FakeInspectedDomain();
    private final FakeInspectedDomain.Agent agent = domain.agent;
    private final GuestFilesystemInspector inspector = new GuestFilesystemInspector(Duration.ofMillis(1));

    @BeforeEach
    void guest() {
        agent.addFs("vda1", "/", "ext4");
        agent.addFs("vda1", "/srv/bind", "ext4");
        agent.addFs("dm-0", "/data", "ext2");
        agent.addFs("vdb", "/var/lib/xfs", "xfs");
        agent.dumpe2fsState.put("/dev/vda1", "clean");
        agent.dumpe2fsState.put("/dev/dm-0", "not clean");
    }

    @Test
    void readsEachExtDeviceOnceAndTheFreezeStatus() throws Exception {
        FilesystemStateReport r = inspector.inspect(domain, Duration.ofSeconds(5));
        assertThat(r.domain()).isEqualTo("sp-diag-fake");
        assertThat(r.freezeStatus()).isEqualTo("thawed");
        assertThat(r.otherFilesystems()).isEqualTo(1);
        assertThat(r.filesystems())
                .containsExactly(
                        new FilesystemState("/dev/vda1", List.of("/", "/srv/bind"), "ext4", "clean", null),
                        new FilesystemState("/dev/dm-0", List.of("/data"), "ext2", "not clean", null));
        assertThat(r.filesystems()).extracting(FilesystemState::clean).containsExactly(true, false);
        assertThat(agent.commands)
                .filteredOn(c -> c.startsWith("guest-exec "))
                .containsExactly(
                        "guest-exec {path=/sbin/dumpe2fs, arg=[-h, /dev/vda1], capture-output=true}",
                        "guest-exec {path=/sbin/dumpe2fs, arg=[-h, /dev/dm-0], capture-output=true}");
        // each process was polled until it exited (first poll: still running)
        assertThat(agent.commands)
                .filteredOn(c -> c.startsWith("guest-exec-status"))
                .hasSize(4);
    }

    @Test
    void frozenGuestIsOnlyAskedForItsFreezeStatus() throws Exception {
        agent.frozen = true;
        FilesystemStateReport r = inspector.inspect(domain, Duration.ofSeconds(5));
        assertThat(r.frozen()).isTrue();
        assertThat(r.filesystems()).isEmpty();
        assertThat(r.note()).contains("frozen").contains("guest-get-fsinfo");
        assertThat(agent.commands).containsExactly("guest-fsfreeze-status");
    }

    @Test
    void dumpe2fsFailureIsRecordedPerFilesystem() throws Exception {
        agent.dumpe2fsState.remove("/dev/dm-0");
        FilesystemStateReport r = inspector.inspect(domain, Duration.ofSeconds(5));
        assertThat(r.filesystems().get(0).state()).isEqualTo("clean");
        assertThat(r.filesystems().get(1).error())
                .contains("/dev/dm-0")
                .contains("exited 1")
                .contains("No such file or directory");
    }

    @Test
    void disabledGuestExecIsRecorded() throws Exception {
        agent.execDisabled = true;
        FilesystemStateReport r = inspector.inspect(domain, Duration.ofSeconds(5));
        assertThat(r.filesystems())
                .allSatisfy(fs -> assertThat(fs.error()).contains("guest-exec").contains("disabled"));
    }

    @Test
    void dumpe2fsThatNeverExitsTimesOutNamingWhat() throws Exception {
        agent.runningPolls = -1;
        FilesystemStateReport r =
                new GuestFilesystemInspector(Duration.ofMillis(5)).inspect(domain, Duration.ofMillis(30));
        assertThat(r.filesystems().getFirst().error())
                .contains("/sbin/dumpe2fs -h /dev/vda1")
                .contains("did not finish within");
    }

    @Test
    void unavailableAgentFailsWithItsCode() {
        agent.available = false;
        assertThatThrownBy(() -> inspector.inspect(domain, Duration.ofSeconds(1)))
                .isInstanceOfSatisfying(
                        VmException.class, e -> assertThat(e.code()).isEqualTo(VmException.Code.AGENT_UNAVAILABLE));
    }
}
