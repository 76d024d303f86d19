package dev.stillpoint.engine.diagnostics;

import java.util.Arrays;
import java.util.Collection;

/**
 * Summary of a non-empty set of durations, all in one unit (the caller's: microseconds for stuns,
 * milliseconds for freeze windows). The median of an even count is the mean of the two middle values
 * rounded half up; p95 is the nearest-rank 95th percentile (the smallest value that at least 95 % of
 * the values do not exceed), so with fewer than 20 values it is the maximum.
 */
public record DurationStats(int count, long min, long median, long p95, long max, long total) {

    public static DurationStats of(Collection<Long> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("values: empty; statistics need at least one value");
        }
        long[] v = values.stream().mapToLong(Long::longValue).sorted().toArray();
        int n = v.length;
        long median = n % 2 == 1 ? v[n / 2] : meanRoundedUp(v[n / 2 - 1], v[n / 2]);
        int rank = (int) ((95L * n + 99) / 100);
        long total = 0;
        for (long x : v) {
            total = saturatedAdd(total, x);
        }
        return new DurationStats(n, v[0], median, v[rank - 1], v[n - 1], total);
    }

    private static long meanRoundedUp(long a, long b) {
        return a / 2 + b / 2 + (a % 2 + b % 2 + 1) / 2;
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    @Override
    public String toString() {
        return "DurationStats" + Arrays.toString(new long[] {count, min, median, p95, max, total});
    }
}
