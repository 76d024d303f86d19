package dev.stillpoint.guest.run;

import dev.stillpoint.guest.state.StateStore;
import java.util.Map;

/**
 * Body of the detached watchdog process: sleeps until the deadline, leaving early when the freeze it guards is
 * gone (thawed; the state token differs); at the deadline it thaws through {@link QuiesceRunner#thaw} as
 * {@link QuiesceRunner.ThawKind#WATCHDOG}, which records the event in the log and the report.
 */
public final class Watchdog {
    private Watchdog() {}

    public static void run(QuiesceRunner runner, StateStore store, String token, long deadline) throws InterruptedException {
        while (true) {
            long left = deadline - System.currentTimeMillis();
            if (!guarding(store, token)) return;
            if (left <= 0) break;
            Thread.sleep(Math.min(left, 1000));
        }
        runner.thaw(QuiesceRunner.ThawKind.WATCHDOG, token);
    }

    private static boolean guarding(StateStore store, String token) {
        try {
            Map<String, Object> s = store.load();
            return s != null && token.equals(s.get("token"));
        } catch (RuntimeException e) {
            return true;
        }
    }
}
