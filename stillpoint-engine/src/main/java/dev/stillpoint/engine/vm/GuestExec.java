package dev.stillpoint.engine.vm;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a program in the guest through the agent: {@code guest-exec} with captured output, then
 * {@code guest-exec-status} polled until {@code exited}. Also the one place agent JSON replies are
 * unwrapped ({@link #call}): {@code return} is the value, {@code error} a {@link VmException}.
 */
public final class GuestExec {
    private GuestExec() {}

    /** A finished guest program; {@code exitCode} is null when it ended by a signal. */
    public record Result(Integer exitCode, String stdout, String stderr) {}

    /** Runs {@code path args} in the guest; null when it did not finish within {@code timeout}. */
    public static Result run(VmDomain.GuestAgent agent, String path, List<String> args, Duration timeout, Duration poll)
            throws VmException {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("path", path);
        a.put("arg", args);
        a.put("capture-output", true);
        Object started = call(agent, Map.of("execute", "guest-exec", "arguments", a), timeout);
        if (!(started instanceof Map<?, ?> s) || !(s.get("pid") instanceof Number pid)) {
            throw new VmException(
                    VmException.Code.OPERATION_FAILED, "guest-exec of " + path + " returned no pid: " + started);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Object r = call(
                    agent,
                    Map.of("execute", "guest-exec-status", "arguments", Map.of("pid", pid.longValue())),
                    timeout);
            if (r instanceof Map<?, ?> st && Boolean.TRUE.equals(st.get("exited"))) {
                return new Result(
                        st.get("exitcode") instanceof Number n ? n.intValue() : null,
                        decode(st.get("out-data")),
                        decode(st.get("err-data")));
            }
            if (System.nanoTime() >= deadline) return null;
            try {
                Thread.sleep(poll.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VmException(
                        VmException.Code.OPERATION_FAILED,
                        "interrupted while waiting for " + path + " in the guest",
                        e);
            }
        }
    }

    /** Sends one command and returns its {@code return} value; an {@code error} reply becomes a VmException. */
    public static Object call(VmDomain.GuestAgent agent, Map<String, Object> command, Duration timeout)
            throws VmException {
        String reply;
        try {
            reply = agent.command(JSON.std.asString(command), timeout);
        } catch (IOException e) {
            throw new VmException(VmException.Code.OPERATION_FAILED, "cannot encode agent command " + command, e);
        }
        Object parsed;
        try {
            parsed = JSON.std.anyFrom(reply);
        } catch (IOException e) {
            throw new VmException(
                    VmException.Code.OPERATION_FAILED, command.get("execute") + ": reply is not JSON: " + reply, e);
        }
        if (parsed instanceof Map<?, ?> m) {
            if (m.containsKey("return")) return m.get("return");
            if (m.get("error") instanceof Map<?, ?> err) {
                throw new VmException(
                        VmException.Code.OPERATION_FAILED, command.get("execute") + " failed: " + err.get("desc"));
            }
        }
        throw new VmException(
                VmException.Code.OPERATION_FAILED, command.get("execute") + ": unexpected reply " + reply);
    }

    /** Base64 {@code out-data}/{@code err-data} as text ("" when absent or not base64). */
    public static String decode(Object b64) {
        if (!(b64 instanceof String s) || s.isEmpty()) return "";
        try {
            return new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "";
        }
    }
}
