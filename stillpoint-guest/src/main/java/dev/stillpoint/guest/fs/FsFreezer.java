package dev.stillpoint.guest.fs;

import dev.stillpoint.guest.proc.HookProcess;
import java.nio.file.Path;
import java.util.List;

/** FIFREEZE/FITHAW through util-linux {@code fsfreeze}; replaceable in tests. */
public interface FsFreezer {
    /** Result of one fsfreeze call. */
    final class Result {
        public final boolean ok;
        /** The filesystem cannot be frozen (EOPNOTSUPP) or is already frozen (EBUSY): skipped, not counted. */
        public final boolean skipped;

        public final String message;

        public Result(boolean ok, boolean skipped, String message) {
            this.ok = ok;
            this.skipped = skipped;
            this.message = message;
        }
    }

    Result freeze(String mountPoint);

    Result thaw(String mountPoint);

    /** The real thing: {@code fsfreeze -f|-u MOUNT} with a 60 s limit. */
    static FsFreezer program(Path scratch) {
        return new FsFreezer() {
            @Override
            public Result freeze(String mp) {
                return call("-f", mp);
            }

            @Override
            public Result thaw(String mp) {
                return call("-u", mp);
            }

            private Result call(String op, String mp) {
                HookProcess.Outcome o = HookProcess.run(List.of("fsfreeze", op, mp), 60_000, scratch);
                String msg = o.output.trim();
                if (o.exitCode == 0) return new Result(true, false, "");
                if (o.timedOut)
                    return new Result(false, false, "fsfreeze " + op + " " + mp + " did not finish within 60 s");
                if (o.notStarted != null) return new Result(false, false, "cannot run fsfreeze: " + o.notStarted);
                boolean skip = op.equals("-f")
                        && (msg.contains("Operation not supported") || msg.contains("Device or resource busy"));
                return new Result(
                        false, skip, msg.isEmpty() ? "fsfreeze " + op + " " + mp + " exit " + o.exitCode : msg);
            }
        };
    }
}
