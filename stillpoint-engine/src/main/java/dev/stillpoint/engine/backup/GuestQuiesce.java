package dev.stillpoint.engine.backup;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.catalog.Consistency;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmDomain.GuestAgent;
import dev.stillpoint.engine.vm.VmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The freeze window of a backup, and of anything else taken frozen (a VM snapshot): the agent
 * check, the guest's report before and after, {@link GuestFreeze} (timeouts, guaranteed thaw,
 * freeze deadline for the guest) and the consistency derived from them ({@link GuestReports}), so
 * the consistency level means the same everywhere. {@link BackupJob} drives the steps one by one
 * (its plan and its begin go between them); {@link #around} runs an action inside them.
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

    private final VmDomain domain;
    private final BackupOptions options;
    private final GuestFreeze.Events events;
    private final GuestAgent agent;
    private final GuestFreeze freeze;
    private boolean agentOk;
    private String before;
    private String after;
    private boolean frozen;

    /** @param events the freeze's phases and every warning ({@code code, message}) */
    GuestQuiesce(VmDomain domain, BackupOptions options, GuestFreeze.Events events) throws VmException {
        this.domain = domain;
        this.options = options;
        this.events = events;
        this.agent = domain.agent();
        this.freeze = new GuestFreeze(agent, options, domain.name(), events);
    }

    /**
     * Pings the guest agent. When it does not answer: QUIESCE_FAILED under consistency
     * 'required', else a warning (the run goes on crash-consistent).
     */
    boolean checkAgent() throws EngineException {
        agentOk = agent.ping(options.pingTimeout());
        if (!agentOk) {
            String msg = "guest agent of domain " + domain.name() + " did not answer guest-ping within "
                    + options.pingTimeout().toMillis() + " ms";
            if (options.policy() == ConsistencyPolicy.REQUIRED)
                throw new EngineException(Code.QUIESCE_FAILED, msg + "; consistency 'required' cannot be met");
            events.warn("agent-unavailable", msg + "; continuing crash-consistent");
        }
        return agentOk;
    }

    /** Reads the guest's report before the freeze (null without an answering agent). */
    String readReportBefore() {
        before = agentOk ? GuestReports.read(agent, options.pingTimeout()) : null;
        return before;
    }

    /** The guest's report now (after a freeze that failed or was refused, for its policy). */
    String readReportNow() {
        return GuestReports.read(agent, options.pingTimeout());
    }

    /** Freezes (nothing without an answering agent); whether the guest is frozen. */
    boolean freeze() throws EngineException {
        frozen = agentOk && freeze.freeze();
        return frozen;
    }

    /** Thaws when a freeze was sent (always safe to call, also on failure paths). */
    void thawIfSent() {
        freeze.thawIfSent();
    }

    /** After the thaw: the guest's report (null when it was not frozen). */
    String readReportAfter() {
        after = frozen ? GuestReports.read(agent, options.pingTimeout()) : null;
        return after;
    }

    /** The consistency reached, warned when the guest's watchdog thawed before the host did. */
    Consistency consistency() {
        Consistency consistency = GuestReports.consistency(frozen, before, after);
        if (frozen && consistency == Consistency.CRASH)
            events.warn(
                    "guest-watchdog-thawed",
                    "the guest's watchdog thawed before the host's thaw (its freeze deadline passed); recorded crash-consistent");
        return consistency;
    }

    /** The guest's report to record: the one read after the thaw when it is new, else null. */
    String freshReport() {
        return after != null && !after.equals(before) ? after : null;
    }

    /** Freeze sent → thaw returned in ms, or null when no freeze was sent. */
    Long windowMs() {
        return freeze.windowMs();
    }

    /**
     * Freezes the guest of {@code domain}, runs {@code action}, thaws (always). When the guest
     * cannot be frozen: QUIESCE_FAILED under consistency 'required', else the action runs
     * crash-consistent with a warning.
     */
    public static Outcome around(VmDomain domain, BackupOptions options, Action action)
            throws VmException, EngineException {
        List<String> warnings = new ArrayList<>();
        GuestQuiesce q = new GuestQuiesce(domain, options, GuestFreeze.Events.warningsInto(warnings));
        q.checkAgent();
        q.readReportBefore();
        q.freeze();
        try {
            action.run();
        } finally {
            q.thawIfSent();
        }
        q.readReportAfter();
        Consistency consistency = q.consistency();
        return new Outcome(consistency, q.freshReport(), q.windowMs(), warnings);
    }
}
