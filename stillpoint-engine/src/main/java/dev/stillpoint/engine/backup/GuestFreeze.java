package dev.stillpoint.engine.backup;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.catalog.Phase;
import dev.stillpoint.engine.vm.VmDomain.GuestAgent;
import dev.stillpoint.engine.vm.VmException;
import dev.stillpoint.guest.contract.FreezeDeadline;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The freeze window of one online backup, and the guarantee that it closes: guest-fsfreeze-freeze
 * with a host-side timeout (a hook that hangs does not hold the backup), thaw with retries, and
 * guest-fsfreeze-status to confirm. A freeze that fails or times out is thawed at once and again
 * after a late reply (the guest may freeze when its hooks finish), so the guest is never left
 * frozen. Timings go to the job as phases; problems as warnings.
 * <p>Before the freeze it clears a freeze the agent still believes in (qemu-ga stays "frozen", and
 * refuses a new freeze and the file commands, after a run died during its freeze and the guest's
 * watchdog thawed the filesystems behind the agent's back: only guest-fsfreeze-thaw clears that), and
 * tells stillpoint-guest how long the guest may stay frozen ({@link FreezeDeadline}: the freeze
 * timeout and {@link #DEADLINE_MARGIN} for the backup begin and the thaw), so that a host that dies
 * during the freeze does not leave the guest frozen for the runner's default 60 s.
 */
final class GuestFreeze {
    /** What the job hears: phase boundaries (for its timings) and warnings. */
    interface Events {
        void phaseStarted(Phase phase);

        void phaseFinished();

        void warn(String code, String message);

        /** No phase reporting; each warning appended to {@code warnings} as {@code "CODE: message"}. */
        static Events warningsInto(java.util.List<String> warnings) {
            return new Events() {
                @Override
                public void phaseStarted(Phase phase) {}

                @Override
                public void phaseFinished() {}

                @Override
                public void warn(String code, String message) {
                    warnings.add(code + ": " + message);
                }
            };
        }
    }

    /** What the job needs between the freeze's reply and its thaw: the backup begin (about 1 s) and the thaw. */
    static final Duration DEADLINE_MARGIN = Duration.ofSeconds(30);

    private final GuestAgent agent;
    private final BackupOptions options;
    private final String domainName;
    private final Events events;
    private Long sentNanos;
    private boolean thawed;
    private Long windowMs;

    GuestFreeze(GuestAgent agent, BackupOptions options, String domainName, Events events) {
        this.agent = agent;
        this.options = options;
        this.domainName = domainName;
        this.events = events;
    }

    /**
     * Sends guest-fsfreeze-freeze; true when the guest is frozen. Otherwise the guest is thawed,
     * then the job fails with QUIESCE_FAILED under consistency 'required', or goes on
     * crash-consistent with a warning (false).
     */
    boolean freeze() throws EngineException {
        events.phaseStarted(Phase.FREEZE);
        Duration timeout = options.freezeTimeout();
        clearStaleFreeze();
        sendDeadline(timeout);
        ExecutorService exec = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "stillpoint-freeze");
            t.setDaemon(true);
            return t;
        });
        sentNanos = System.nanoTime();
        Future<Integer> f = exec.submit(() -> agent.freeze(timeout));
        String failure;
        try {
            int n = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (n > 0) {
                events.phaseFinished();
                return true;
            }
            failure = "guest-fsfreeze-freeze froze no filesystem";
        } catch (TimeoutException e) {
            failure = "guest-fsfreeze-freeze did not return within " + timeout.toMillis() + " ms";
        } catch (ExecutionException e) {
            failure = "guest-fsfreeze-freeze failed: " + e.getCause().getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "interrupted while waiting for guest-fsfreeze-freeze";
        } finally {
            exec.shutdown(); // no interrupt: a late reply must still be observed below
        }
        events.phaseFinished();
        // the guest may be partly frozen, or freeze later when its hooks finish: thaw now and once more
        thaw();
        try {
            f.get(options.thawTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception ignored) {
            // only waited so a late freeze is undone below
        }
        thawIfFrozen();
        if (options.policy() == ConsistencyPolicy.REQUIRED) {
            throw new EngineException(
                    Code.QUIESCE_FAILED,
                    failure + " (domain " + domainName + "); guest thawed; consistency 'required' cannot be met");
        }
        events.warn("quiesce-failed", failure + "; guest thawed; continuing crash-consistent");
        return false;
    }

    /**
     * qemu-ga keeps its own "frozen" flag: after a run died during its freeze and the guest's watchdog thawed
     * (FITHAW behind the agent's back) the agent still says frozen and refuses guest-fsfreeze-freeze and the file
     * commands until it gets guest-fsfreeze-thaw (which thaws nothing more, and runs the hook's no-op thaw).
     */
    private void clearStaleFreeze() {
        try {
            if (!"frozen".equals(agent.freezeStatus(options.thawTimeout()))) return;
            agent.thaw(options.thawTimeout());
            events.warn(
                    "guest-left-frozen",
                    "the guest agent of domain " + domainName + " still reported a freeze before this"
                            + " backup's (an earlier run died while the guest was frozen?); sent guest-fsfreeze-thaw first");
        } catch (VmException e) {
            // the freeze below fails the same way and says why
        }
    }

    /**
     * Writes {@link FreezeDeadline#PATH} in the guest. Without stillpoint-guest the file is unused (it lives in
     * /run); an agent that refuses guest-file-write leaves the guest's own limit in place.
     */
    private void sendDeadline(Duration freezeTimeout) {
        FreezeDeadline d = new FreezeDeadline(seconds(freezeTimeout), seconds(DEADLINE_MARGIN));
        try {
            GuestFiles.write(
                    agent, FreezeDeadline.PATH, d.toJson().getBytes(StandardCharsets.UTF_8), options.pingTimeout());
        } catch (VmException | RuntimeException e) {
            // the guest's watchdog keeps its own maxFreezeSeconds
        }
    }

    /** Whole seconds, rounded up, within the deadline file's 1..86400. */
    private static int seconds(Duration d) {
        long s = (d.toMillis() + 999) / 1000;
        return (int) Math.max(1, Math.min(86_400, s));
    }

    /** Thaws if a freeze was sent and the guest has not been thawed since (safe to call again). */
    void thawIfSent() {
        if (sentNanos != null) thaw();
    }

    /** Milliseconds from sending the freeze to the thaw's return; null when no freeze was sent. */
    Long windowMs() {
        return windowMs;
    }

    private void thaw() {
        if (thawed) return;
        events.phaseStarted(Phase.THAW);
        VmException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                agent.thaw(options.thawTimeout());
                last = null;
                break;
            } catch (VmException e) {
                last = e;
            }
        }
        thawed = true;
        windowMs = Duration.ofNanos(System.nanoTime() - sentNanos).toMillis();
        events.phaseFinished();
        if (last != null) thawIfFrozen();
    }

    private void thawIfFrozen() {
        try {
            if ("frozen".equals(agent.freezeStatus(options.thawTimeout()))) {
                agent.thaw(options.thawTimeout());
                if ("frozen".equals(agent.freezeStatus(options.thawTimeout()))) {
                    events.warn("thaw-failed", "guest of domain " + domainName + " still frozen after thaw");
                }
            }
        } catch (VmException e) {
            events.warn(
                    "thaw-unknown", "cannot confirm guest of domain " + domainName + " is thawed: " + e.getMessage());
        }
    }
}
