package dev.stillpoint.guest.run;

import dev.stillpoint.guest.state.FreezeState;
import dev.stillpoint.guest.state.StateStore;

/**
 * Body of the detached watchdog process, armed before the first freeze hook. While the freeze runner runs hooks
 * it watches the runner's pid (a dead runner = undo the hooks that froze at once); after the hooks it sleeps until
 * the state's deadline. It leaves when the freeze it guards is gone (thawed; the state token differs); otherwise
 * it thaws through {@link QuiesceRunner#thaw} as {@link QuiesceRunner.ThawKind#WATCHDOG}, which records the
 * event in the log and the report.
 * <p>Once it has read the freeze it guards (its classes loaded), it writes its token to {@link #READY}: the
 * launcher waits for that before the freeze goes on ({@link WatchdogLauncher#jvm}), so that the JVM's start-up
 * (seconds of CPU under TCG, one vCPU) is over before anything is frozen and does not slow the agent's FIFREEZE,
 * its reply, and its FITHAW.
 */
public final class Watchdog {
    /** Run/stillpoint file: the token of the freeze whose watchdog is up. */
    public static final String READY = "watchdog-ready";

    private Watchdog() {}

    public static void run(QuiesceRunner runner, StateStore store, String token) throws InterruptedException {
        boolean ready = false;
        while (true) {
            FreezeState s = load(store);
            if (s == null) return;
            if (!token.equals(s.token())) return;
            if (!ready) ready = ready(store, token);
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

    /** Writes {@code token} to {@link #READY} (whole or not at all); true when written. */
    private static boolean ready(StateStore store, String token) {
        try {
            java.nio.file.Path tmp = store.dir().resolve(READY + ".tmp");
            java.nio.file.Files.writeString(tmp, token);
            java.nio.file.Files.move(tmp, store.dir().resolve(READY), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (java.io.IOException e) {
            return true; // the launcher stops waiting at its time limit
        }
    }

    private static FreezeState load(StateStore store) {
        try {
            return store.load();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
