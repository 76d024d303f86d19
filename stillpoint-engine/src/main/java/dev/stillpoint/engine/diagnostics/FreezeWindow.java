package dev.stillpoint.engine.diagnostics;

import java.util.List;

/**
 * One freeze-to-thaw interval.
 *
 * @param key          the stream (instance, hook log, report) it belongs to
 * @param frozenAt     when the freeze was logged; null only for a report without a start time
 * @param endedAt      when the thaw (or failure) was logged; null when none was found or the report gives none
 * @param durationMs   endedAt - frozenAt in milliseconds (a report's own freezeWindowMs); null when there is no end
 * @param file         the file the window starts in
 * @param line         its line (0 for reports)
 * @param extraFreezes freeze markers seen again before the thaw (a script run twice, seed 000's pitfall)
 * @param hooks        hook runs listed by a Stillpoint report; empty for text logs
 */
public record FreezeWindow(
        String key,
        FreezeLogFormat format,
        Outcome outcome,
        LogTimestamp frozenAt,
        LogTimestamp endedAt,
        Long durationMs,
        String file,
        int line,
        int extraFreezes,
        List<HookRun> hooks) {

    public enum Outcome {
        /** Thawed normally. */
        THAWED,
        /** Thawed by Stillpoint's watchdog because no thaw came in time (report result thawed-by-watchdog). */
        THAWED_BY_WATCHDOG,
        /** The freeze failed or was abandoned (freezeFail, "FREEZE FAILED"). */
        FREEZE_FAILED,
        /** The thaw failed: the application may have stayed frozen. */
        THAW_FAILED,
        /** No thaw was logged after the freeze. */
        NO_THAW;

        /** Whether the window ended with the application thawed, so its duration is a real frozen time. */
        public boolean thawed() {
            return this == THAWED || this == THAWED_BY_WATCHDOG;
        }

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * One hook from a Stillpoint report (fields that the report does not give are null).
     *
     * @param result the report's word: ok, failed, timeout, not-started
     */
    public record HookRun(String name, String phase, String result, Integer exitCode, Long durationMs) {}
}
