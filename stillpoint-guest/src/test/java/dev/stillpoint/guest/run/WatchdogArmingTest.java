package dev.stillpoint.guest.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.guest.state.StateStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A watchdog that starts instantly finds this freeze's state: it is saved before the launch. */
class WatchdogArmingTest {
    @TempDir Path root;

    @Test
    void stateWithTheTokenExistsWhenTheWatchdogStarts() throws Exception {
        new GuestTree(root).script("/etc/stillpoint/hooks.d/10-db", "db", 0);
        List<String> seen = new ArrayList<>();
        QuiesceRunner.Options o = new QuiesceRunner.Options();
        o.root = root;
        o.noFsfreeze = true;
        o.watchdog = (r, token, d) -> {
            Map<String, Object> s = new StateStore(r).load();
            seen.add(s == null ? "no state" : token.equals(s.get("token")) ? s.get("phase") + " " + s.get("runnerPid") : "other token");
            return 4242;
        };
        new QuiesceRunner(o, GuestListener.none()).freeze();
        assertThat(seen).containsExactly("hooks " + ProcessHandle.current().pid());
        assertThat(((Number) new StateStore(root).load().get("watchdogPid")).longValue()).isEqualTo(4242);
        new QuiesceRunner(o, GuestListener.none()).thaw(QuiesceRunner.ThawKind.THAW, null);
    }
}
