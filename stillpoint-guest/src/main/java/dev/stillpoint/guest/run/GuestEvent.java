package dev.stillpoint.guest.run;

import java.time.Instant;

/** One thing that happened during a run; the CLI renders it, {@link EventLog} appends it to the log file. */
public final class GuestEvent {
    public enum Kind {
        START,
        HOOK_START,
        HOOK_END,
        FS_FREEZE,
        FS_THAW,
        WATCHDOG,
        SKIPPED,
        ERROR,
        END
    }

    public final Instant time;
    public final Kind kind;
    public final String message;

    public GuestEvent(Instant time, Kind kind, String message) {
        this.time = time;
        this.kind = kind;
        this.message = message;
    }

    @Override
    public String toString() {
        return time + " " + kind + " " + message;
    }
}
