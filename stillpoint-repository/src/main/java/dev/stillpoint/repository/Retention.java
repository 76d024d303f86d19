package dev.stillpoint.repository;

import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Applies a {@link RetentionPolicy}: per image name, newest first, restic's bucket rules. */
final class Retention {
    private Retention() {}

    static List<ForgetResult.Decision> decide(List<SnapshotInfo> snapshots, RetentionPolicy p) {
        Map<String, List<SnapshotInfo>> byName = new LinkedHashMap<>();
        for (SnapshotInfo s : snapshots)
            byName.computeIfAbsent(s.name(), k -> new ArrayList<>()).add(s);
        List<ForgetResult.Decision> out = new ArrayList<>();
        for (List<SnapshotInfo> group : byName.values()) {
            group.sort(Comparator.comparing(SnapshotInfo::time)
                    .thenComparing(SnapshotInfo::id)
                    .reversed());
            String[] names = {"last", "hourly", "daily", "weekly", "monthly", "yearly"};
            int[] left = {p.keepLast(), p.keepHourly(), p.keepDaily(), p.keepWeekly(), p.keepMonthly(), p.keepYearly()};
            List<Function<ZonedDateTime, String>> keys = List.of(
                    t -> null,
                    t -> t.getYear() + "-" + t.getDayOfYear() + "T" + t.getHour(),
                    t -> t.getYear() + "-" + t.getDayOfYear(),
                    t -> t.get(IsoFields.WEEK_BASED_YEAR) + "W" + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR),
                    t -> t.getYear() + "-" + t.getMonthValue(),
                    t -> String.valueOf(t.getYear()));
            String[] lastKey = new String[names.length];
            for (SnapshotInfo s : group) {
                ZonedDateTime t = s.time().atZone(p.zone());
                List<String> reasons = new ArrayList<>();
                for (int r = 0; r < names.length; r++) {
                    if (left[r] <= 0) continue;
                    String key = keys.get(r).apply(t);
                    if (r == 0 || !key.equals(lastKey[r])) {
                        reasons.add(names[r]);
                        left[r]--;
                        lastKey[r] = key;
                    }
                }
                out.add(new ForgetResult.Decision(s, !reasons.isEmpty(), List.copyOf(reasons)));
            }
        }
        return out;
    }
}
