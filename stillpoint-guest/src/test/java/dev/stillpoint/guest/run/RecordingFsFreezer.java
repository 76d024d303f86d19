package dev.stillpoint.guest.run;

import dev.stillpoint.guest.fs.FsFreezer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Records fsfreeze calls; fails the freeze of mounts in {@code failOn}. */
final class RecordingFsFreezer implements FsFreezer {
    final List<String> calls = new ArrayList<>();
    Set<String> failOn = Set.of();

    @Override
    public Result freeze(String mp) {
        calls.add("freeze " + mp);
        return failOn.contains(mp)
                ? new Result(false, false, "fsfreeze: " + mp + ": freeze failed: Input/output error")
                : new Result(true, false, "");
    }

    @Override
    public Result thaw(String mp) {
        calls.add("thaw " + mp);
        return new Result(true, false, "");
    }
}
