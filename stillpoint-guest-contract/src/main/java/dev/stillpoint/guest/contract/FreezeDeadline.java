package dev.stillpoint.guest.contract;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The host's freeze budget, which it writes to {@value #PATH} in the guest (guest-file-write) just before
 * guest-fsfreeze-freeze, so that a host that dies during the freeze does not leave the guest frozen for the
 * runner's default 60 s. Durations only, never a host time: the guest anchors them on its own clock.
 * <ul>
 *   <li>{@code freezeTimeoutSeconds}: the host's {@code --freeze-timeout}; after it the host gives up and thaws;</li>
 *   <li>{@code marginSeconds}: what the host needs between the freeze's reply and its thaw (the backup begin
 *       and the thaw itself).</li>
 * </ul>
 * The runner's watchdog then thaws at {@link #watchdogDeadline}. One JSON object, at most {@value #MAX_BYTES}
 * bytes; the runner reads it when a freeze starts and removes it, ignores it (with a logged warning) when it is
 * malformed, and ignores it when it is older than {@value #MAX_AGE_SECONDS} s (a host that wrote it and never
 * froze). Version {@value #VERSION}.
 */
public record FreezeDeadline(int freezeTimeoutSeconds, int marginSeconds) {
    public static final int VERSION = 1;
    /** Guest path: /run is a tmpfs (never frozen, gone after a reboot) that exists before any runner did. */
    public static final String PATH = "/run/stillpoint-freeze-deadline.json";

    public static final int MAX_BYTES = 4096;
    public static final int MAX_AGE_SECONDS = 300;
    /** The watchdog never fires sooner than this after the freeze hooks ended (the agent freezes after them). */
    public static final int MIN_AFTER_HOOKS_SECONDS = 10;

    private static final int MAX_SECONDS = 86400;

    public FreezeDeadline {
        if (freezeTimeoutSeconds < 1 || freezeTimeoutSeconds > MAX_SECONDS) {
            throw new IllegalArgumentException(
                    "freezeTimeoutSeconds " + freezeTimeoutSeconds + " is out of range 1.." + MAX_SECONDS);
        }
        if (marginSeconds < 1 || marginSeconds > MAX_SECONDS) {
            throw new IllegalArgumentException("marginSeconds " + marginSeconds + " is out of range 1.." + MAX_SECONDS);
        }
    }

    /** The one writer. */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", VERSION);
        m.put("freezeTimeoutSeconds", freezeTimeoutSeconds);
        m.put("marginSeconds", marginSeconds);
        return Json.write(m, false) + "\n";
    }

    /** The one reader: version 1, both durations integers in 1..86400; anything else is an error. */
    public static FreezeDeadline parse(String json) throws ContractException {
        if (json.length() > MAX_BYTES)
            throw new ContractException("freeze deadline: longer than " + MAX_BYTES + " bytes");
        Json j = new Json(Json.object(json, "freeze deadline"), "");
        Integer v = j.int32("version");
        if (v == null || v != VERSION)
            throw new ContractException("freeze deadline: version " + v + " is not " + VERSION);
        Integer ft = j.int32("freezeTimeoutSeconds");
        Integer margin = j.int32("marginSeconds");
        if (ft == null || margin == null)
            throw new ContractException("freeze deadline: freezeTimeoutSeconds and marginSeconds are required");
        try {
            return new FreezeDeadline(ft, margin);
        } catch (IllegalArgumentException e) {
            throw new ContractException("freeze deadline: " + e.getMessage());
        }
    }

    /**
     * When the watchdog thaws, in guest epoch milliseconds: {@code marginSeconds} after the freeze hooks ended, or
     * after the host's freeze timeout if the hooks outlasted it (the host has given up and thawed by then), but
     * never sooner than {@value #MIN_AFTER_HOOKS_SECONDS} s after the hooks (the agent freezes after them).
     *
     * @param anchorMillis    when the host sent the freeze, on the guest clock (the file's mtime)
     * @param hooksDoneMillis when the freeze hooks ended
     */
    public long watchdogDeadline(long anchorMillis, long hooksDoneMillis) {
        long hostGaveUp = anchorMillis + freezeTimeoutSeconds * 1000L;
        long deadline = Math.min(hooksDoneMillis, hostGaveUp) + marginSeconds * 1000L;
        return Math.max(deadline, hooksDoneMillis + MIN_AFTER_HOOKS_SECONDS * 1000L);
    }
}
