package dev.stillpoint.guest.run;

import dev.stillpoint.guest.state.StateStore;
import java.util.Map;

/**
 * Body of the detached watchdog process, armed before the first freeze hook. While the freeze runner runs hooks
 * it watches the runner's pid (a dead runner = undo the hooks that froze at once); after the hooks it sleeps until
 * the state's deadline. It leaves when the freeze it guards is gone (thawed; the state token differs); otherwise
 * it thaws through {@link QuiesceRunner#thaw} as {@link QuiesceRunner.ThawKind#WATCHDOG}, which records the
 * event in the log and the report.
 */
public final class Watchdog {
    private Watchdog() {}

    public static void run(QuiesceRunner runner, StateStore store, String token) throws InterruptedException {
        while (true) {
            Map<String, Object> s = load(store);
            if (s == null) return;
            if (!token.equals(s.get("token"))) return;
            if ("hooks".equals(s.get("phase"))) {
                long runner0 = ((Number) s.get("runnerPid")).longValue();
                if (!ProcessHandle.of(runner0).map(ProcessHandle::isAlive).orElse(false)) break;
                Thread.sleep(200);
                continue;
            }
            long left = ((Number) s.get("deadline")).longValue() - System.currentTimeMillis();
            if (left <= 0) break;
            Thread.sleep(Math.min(left, 1000));
        }
        runner.thaw(QuiesceRunner.ThawKind.WATCHDOG, token);
    }

    private static Map<String, Object> load(StateStore store) {
        try {
            return store.load();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
