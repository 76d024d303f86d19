package dev.stillpoint.libvirt;

import static dev.stillpoint.libvirt.ffi.LibvirtException.*;

import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import dev.stillpoint.libvirt.ffi.LibvirtException;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Guest agent commands passed through libvirt ({@code virDomainQemuAgentCommand}, timeout in
 * whole seconds, rounded up). Replies are QMP JSON: {@code {"return": VALUE}}; agent-side errors
 * come back as libvirt errors. libvirt marks the domain "tainted: custom-ga-command" for these
 * pass-through commands (harmless, visible in the domain log).
 */
final class LibvirtGuestAgent implements VmDomain.GuestAgent {
    private static final Pattern RETURN_INT = Pattern.compile("\"return\"\\s*:\\s*(-?\\d+)");
    private static final Pattern RETURN_STRING = Pattern.compile("\"return\"\\s*:\\s*\"([^\"]*)\"");

    private final LibvirtDomain domain;

    LibvirtGuestAgent(LibvirtDomain domain) {
        this.domain = domain;
    }

    @Override
    public boolean ping(Duration timeout) {
        try {
            String reply =
                    run("guest-ping", "{\"execute\":\"guest-ping\"}", timeout, VmException.Code.AGENT_UNAVAILABLE);
            return reply.contains("\"return\"");
        } catch (VmException e) {
            return false;
        }
    }

    @Override
    public int freeze(Duration timeout) throws VmException {
        String reply = run(
                "guest-fsfreeze-freeze",
                "{\"execute\":\"guest-fsfreeze-freeze\"}",
                timeout,
                VmException.Code.FREEZE_FAILED);
        return returnInt("guest-fsfreeze-freeze", reply);
    }

    @Override
    public int thaw(Duration timeout) throws VmException {
        String reply = run(
                "guest-fsfreeze-thaw",
                "{\"execute\":\"guest-fsfreeze-thaw\"}",
                timeout,
                VmException.Code.OPERATION_FAILED);
        return returnInt("guest-fsfreeze-thaw", reply);
    }

    @Override
    public String freezeStatus(Duration timeout) throws VmException {
        String reply = run(
                "guest-fsfreeze-status",
                "{\"execute\":\"guest-fsfreeze-status\"}",
                timeout,
                VmException.Code.OPERATION_FAILED);
        Matcher m = RETURN_STRING.matcher(reply);
        if (!m.find()) throw unexpected("guest-fsfreeze-status", reply);
        return m.group(1);
    }

    @Override
    public String command(String json, Duration timeout) throws VmException {
        return run("agent command", json, timeout, VmException.Code.OPERATION_FAILED);
    }

    private String run(String what, String json, Duration timeout, VmException.Code failure) throws VmException {
        int seconds = seconds(timeout);
        long start = System.nanoTime();
        try {
            return domain.with(d -> d.agentCommand(json, seconds));
        } catch (VmException e) {
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            int libvirtCode = e.getCause() instanceof LibvirtException le ? le.code() : 0;
            VmException.Code code = failure;
            String detail = e.getMessage();
            if (e.code() == VmException.Code.NOT_FOUND) {
                code = VmException.Code.NOT_FOUND;
            } else if (elapsedMs >= seconds * 1000L - 100 && isUnresponsive(libvirtCode)) {
                code = what.equals("guest-fsfreeze-freeze")
                        ? VmException.Code.FREEZE_TIMEOUT
                        : VmException.Code.AGENT_UNAVAILABLE;
                detail = "no answer within " + seconds + " s (waited " + elapsedMs + " ms): " + detail;
            } else if (isUnresponsive(libvirtCode)) {
                code = VmException.Code.AGENT_UNAVAILABLE;
            }
            throw new VmException(code, what + " on " + domain + " failed: " + detail, e);
        }
    }

    /** No agent configured, agent not connected, domain not running: the agent is unavailable. */
    private static boolean isUnresponsive(int libvirtCode) {
        return libvirtCode == VIR_ERR_AGENT_UNRESPONSIVE
                || libvirtCode == VIR_ERR_ARGUMENT_UNSUPPORTED
                || libvirtCode == VIR_ERR_OPERATION_INVALID
                || libvirtCode == VIR_ERR_OPERATION_TIMEOUT
                || libvirtCode == VIR_ERR_AGENT_UNSYNCED;
    }

    static int seconds(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("agent timeout must be positive, got " + timeout);
        }
        long s = (timeout.toMillis() + 999) / 1000;
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, s));
    }

    private int returnInt(String what, String reply) throws VmException {
        Matcher m = RETURN_INT.matcher(reply);
        if (!m.find()) throw unexpected(what, reply);
        return Integer.parseInt(m.group(1));
    }

    private VmException unexpected(String what, String reply) {
        return new VmException(
                VmException.Code.OPERATION_FAILED, what + " on " + domain + ": unexpected agent reply " + reply);
    }
}
