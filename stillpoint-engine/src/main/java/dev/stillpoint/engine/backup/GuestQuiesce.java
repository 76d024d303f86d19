package dev.stillpoint.engine.backup;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.catalog.Consistency;
import dev.stillpoint.engine.catalog.Phase;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmDomain.GuestAgent;
import dev.stillpoint.engine.vm.VmException;
import java.util.ArrayList;
import java.util.List;

/**
 * A backup's freeze window around something other than a backup begin (a VM snapshot): the same
 * agent check, {@link GuestFreeze} (timeouts, guaranteed thaw, freeze deadline for the guest) and
 * guest report ({@link GuestReports}), so the consistency level means what it means for a backup.
 */
public final class GuestQuiesce {
    /** What runs while the guest is frozen. */
    public interface Action {
        void run() throws VmException, EngineException;
    }

    /**
     * @param consistency    application, filesystem or crash, derived as for a backup
     * @param guestReport    the guest's fresh report (JSON), or null
     * @param freezeWindowMs freeze sent → thaw returned, or null when no freeze was sent
     * @param warnings       {@code code: message} lines (agent unavailable, quiesce failed...)
     */
    public record Outcome(Consistency consistency, String guestReport, Long freezeWindowMs, List<String> warnings) {
        public Outcome {
            warnings = List.copyOf(warnings);
        }
    }

    private GuestQuiesce() {}

    /**
     * Freezes the guest of {@code domain}, runs {@code action}, thaws (always). When the guest
     * cannot be frozen: QUIESCE_FAILED under consistency 'required', else the action runs
     * crash-consistent with a warning.
     */
    public static Outcome around(VmDomain domain, BackupOptions options, Action action)
            throws VmException, EngineException {
        List<String> warnings = new ArrayList<>();
        GuestAgent agent = domain.agent();
        boolean agentOk = agent.ping(options.pingTimeout());
        if (!agentOk) {
            String msg = "guest agent of domain " + domain.name() + " did not answer guest-ping within "
                    + options.pingTimeout().toMillis() + " ms";
            if (options.policy() == ConsistencyPolicy.REQUIRED)
                throw new EngineException(Code.QUIESCE_FAILED, msg + "; consistency 'required' cannot be met");
            warnings.add("agent-unavailable: " + msg + "; continuing crash-consistent");
        }
        String before = agentOk ? GuestReports.read(agent, options.pingTimeout()) : null;
        GuestFreeze freeze = new GuestFreeze(agent, options, domain.name(), new GuestFreeze.Events() {
            @Override
            public void phaseStarted(Phase phase) {}

            @Override
            public void phaseFinished() {}

            @Override
            public void warn(String code, String message) {
                warnings.add(code + ": " + message);
            }
        });
        boolean frozen = agentOk && freeze.freeze();
        try {
            action.run();
        } finally {
            freeze.thawIfSent();
        }
        String after = frozen ? GuestReports.read(agent, options.pingTimeout()) : null;
        Consistency consistency = GuestReports.consistency(frozen, before, after);
        if (frozen && consistency == Consistency.CRASH)
            warnings.add(
                    "guest-watchdog-thawed: the guest's watchdog thawed before the host's thaw; recorded crash-consistent");
        String report = after != null && !after.equals(before) ? after : null;
        return new Outcome(consistency, report, freeze.windowMs(), warnings);
    }
}
