package dev.stillpoint.repository;

import java.time.ZoneId;
import java.util.Objects;

/**
 * Which snapshots {@link Repository#forget} keeps, per image name. A snapshot is kept when any
 * rule keeps it: the newest {@code keepLast}; and the newest snapshot of each of the last
 * {@code keepHourly} hours (days, ISO weeks, months, years) that have snapshots, in {@code zone}.
 * A count of 0 disables a rule; at least one rule must be set.
 */
public record RetentionPolicy(
        int keepLast, int keepHourly, int keepDaily, int keepWeekly, int keepMonthly, int keepYearly, ZoneId zone) {

    public RetentionPolicy {
        Objects.requireNonNull(zone, "zone");
        for (int v : new int[] {keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly})
            if (v < 0) throw new IllegalArgumentException("retention counts must be >= 0, got " + v);
    }

    public static RetentionPolicy keepLast(int n) {
        return new RetentionPolicy(n, 0, 0, 0, 0, 0, ZoneId.systemDefault());
    }

    public boolean isEmpty() {
        return keepLast + keepHourly + keepDaily + keepWeekly + keepMonthly + keepYearly == 0;
    }
}
