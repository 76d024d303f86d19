package dev.stillpoint.guest.run;

import dev.stillpoint.guest.state.FreezeState;
import dev.stillpoint.guest.state.StateStore;

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
            FreezeState s = load(store);
            if (s == null) return;
            if (!token.equals(s.token())) return;
            if (s.phase() == FreezeState.Phase.HOOKS) {
                if (!ProcessHandle.of(s.runnerPid()).map(ProcessHandle::isAlive).orElse(false)) break;
                Thread.sleep(200);
                continue;
            }
            long left = s.deadline() - System.currentTimeMillis();
            if (left <= 0) break;
            Thread.sleep(Math.min(left, 1000));
        }
        runner.thaw(QuiesceRunner.ThawKind.WATCHDOG, token);
    }

    private static FreezeState load(StateStore store) {
        try {
            return store.load();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
