package dev.stillpoint.engine.diagnostics;

/**
 * One freeze- or thaw-related line of a text log.
 *
 * @param key    the stream the marker belongs to: windows are paired per key (an instance name,
 *               or the hook log's name without its freeze/thaw word, so that a script's
 *               {@code ...-freeze.log} and {@code ...-thaw.log} pair up)
 */
public record FreezeMarker(LogTimestamp time, Kind kind, FreezeLogFormat format, String key, String file, int line) {

    public enum Kind {
        /** Freeze happened (hook called with freeze, "IS FROZEN", "System suspended"). */
        FREEZE,
        /** Thaw happened. */
        THAW,
        /** The freeze was abandoned (VMware's freezeFail call). */
        FREEZE_FAIL,
        /** The freeze itself failed ("FREEZE FAILED"). */
        FREEZE_ERROR,
        /** The thaw failed ("THAW FAILED"): the application may still be frozen. */
        THAW_ERROR
    }
}
