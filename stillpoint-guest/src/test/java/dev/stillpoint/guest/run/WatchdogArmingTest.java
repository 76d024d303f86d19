package dev.stillpoint.guest.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.guest.state.StateStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A watchdog that starts instantly finds this freeze's state: it is saved before the launch. */
class WatchdogArmingTest {
    @TempDir
    Path root;

    @Test
    void stateWithTheTokenExistsWhenTheWatchdogStarts() throws Exception {
        new GuestTree(root).script("/etc/stillpoint/hooks.d/10-db", "db", 0);
        List<String> seen = new ArrayList<>();
        QuiesceRunner.Options o = QuiesceRunner.Options.of(root)
                .withNoFsfreeze(true)
                .withWatchdog((r, token, d) -> {
                    dev.stillpoint.guest.state.FreezeState s = new StateStore(r).load();
                    seen.add(
                            s == null
                                    ? "no state"
                                    : token.equals(s.token()) ? s.phase().id() + " " + s.runnerPid() : "other token");
                    return 4242;
                });
        new QuiesceRunner(o, GuestListener.none()).freeze();
        assertThat(seen).containsExactly("hooks " + ProcessHandle.current().pid());
        assertThat(new StateStore(root).load().watchdogPid()).isEqualTo(4242);
        new QuiesceRunner(o, GuestListener.none()).thaw(QuiesceRunner.ThawKind.THAW, null);
    }
}
