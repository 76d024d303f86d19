package dev.stillpoint.guest.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.guest.contract.FreezeDeadline;
import dev.stillpoint.guest.contract.GuestReport;
import dev.stillpoint.guest.state.FreezeState;
import dev.stillpoint.guest.state.StateStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watchdog's deadline from the host's freeze budget (run/stillpoint-freeze-deadline.json). */
class HostDeadlineTest {
    @TempDir
    Path root;

    GuestTree t;
    List<GuestEvent> events = new ArrayList<>();
    Path file;

    @BeforeEach
    void setUp() throws Exception {
        t = new GuestTree(root);
        t.script("/etc/stillpoint/hooks.d/10-db", "db", 0);
        file = root.resolve(FreezeDeadline.PATH.substring(1));
        Files.createDirectories(file.getParent());
    }

    QuiesceRunner runner(Integer maxFreezeSeconds) {
        return new QuiesceRunner(
                QuiesceRunner.Options.of(root)
                        .withNoFsfreeze(true)
                        .withWatchdog((r, token, d) -> -1)
                        .withMaxFreezeSeconds(maxFreezeSeconds),
                events::add);
    }

    /** Freezes, returns seconds from the end of the hooks to the watchdog's deadline; thaws. */
    long freezeAndThaw(Integer maxFreezeSeconds) {
        GuestReport rep = runner(maxFreezeSeconds).freeze();
        FreezeState s = new StateStore(root).load();
        long seconds = Math.round((s.deadline() - s.hooksDoneAt()) / 1000.0);
        assertThat(rep.maxFreezeSeconds()).isEqualTo((int) seconds);
        runner(null).thaw(QuiesceRunner.ThawKind.THAW, null);
        return seconds;
    }

    List<String> warnings() {
        List<String> out = new ArrayList<>();
        for (GuestEvent e : events) if (e.message.startsWith("warning: ")) out.add(e.message);
        return out;
    }

    @Test
    void withoutTheFileTheGuestsOwnLimitStays() {
        assertThat(freezeAndThaw(null)).isEqualTo(60);
        assertThat(warnings()).isEmpty();
    }

    @Test
    void theHostsMarginAfterTheHooksReplacesTheDefaultAndTheFileIsRemoved() throws Exception {
        Files.writeString(file, new FreezeDeadline(30, 20).toJson());
        GuestReport rep = runner(null).freeze();
        FreezeState s = new StateStore(root).load();
        assertThat(s.deadline() - s.hooksDoneAt()).isBetween(19_000L, 20_000L);
        assertThat(rep.deadlineSource()).isEqualTo("host");
        assertThat(rep.maxFreezeSeconds()).isEqualTo(20);
        assertThat(file).doesNotExist();
        GuestReport done = runner(null).thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(done.deadlineSource()).isEqualTo("host");
        assertThat(freezeAndThaw(null)).as("used once").isEqualTo(60);
    }

    @Test
    void hooksThatOutlastTheHostsTimeoutGetTheFloorAfterThem() throws Exception {
        Files.writeString(file, new FreezeDeadline(1, 1).toJson());
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() - 120_000));
        assertThat(freezeAndThaw(null)).isEqualTo(FreezeDeadline.MIN_AFTER_HOOKS_SECONDS);
    }

    @Test
    void aMalformedFileIsIgnoredWithAWarningAndRemoved() throws Exception {
        for (String bad : new String[] {
            "{\"version\":1,\"freezeTimeoutSeconds\":-5,\"marginSeconds\":30}", "rm -rf /", "{\"version\":9}"
        }) {
            events.clear();
            Files.writeString(file, bad);
            assertThat(freezeAndThaw(null)).as(bad).isEqualTo(60);
            assertThat(warnings()).as(bad).singleElement().asString().contains("ignored the host's freeze deadline");
            assertThat(file).doesNotExist();
        }
        Files.createDirectories(file);
        events.clear();
        assertThat(freezeAndThaw(null)).isEqualTo(60);
        assertThat(warnings()).singleElement().asString().contains("not a regular file");
    }

    @Test
    void aStaleFileIsIgnored() throws Exception {
        Files.writeString(file, new FreezeDeadline(30, 20).toJson());
        Files.setLastModifiedTime(
                file, FileTime.fromMillis(System.currentTimeMillis() - (FreezeDeadline.MAX_AGE_SECONDS + 10) * 1000L));
        assertThat(freezeAndThaw(null)).isEqualTo(60);
        assertThat(warnings()).singleElement().asString().contains("stale");
        assertThat(file).doesNotExist();
    }

    @Test
    void theCommandLinesLimitWins() throws Exception {
        Files.writeString(file, new FreezeDeadline(30, 20).toJson());
        assertThat(freezeAndThaw(7)).isEqualTo(7);
        assertThat(file).doesNotExist();
    }
}
