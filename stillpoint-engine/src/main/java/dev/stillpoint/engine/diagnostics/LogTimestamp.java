package dev.stillpoint.engine.diagnostics;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.Objects;

/**
 * A time read from a log line: the wall-clock time as written and, when the line says it (Z, +09:00,
 * a known zone abbreviation such as EST or JST), its UTC offset. Logs that print no zone give
 * {@code offset == null}; such times are compared as if they were UTC, and durations between two
 * of them are wall-clock differences.
 */
public record LogTimestamp(LocalDateTime local, ZoneOffset offset) implements Comparable<LogTimestamp> {

    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");
    private static final Comparator<LogTimestamp> ORDER = Comparator.comparing(LogTimestamp::instantOrUtc);

    public LogTimestamp {
        Objects.requireNonNull(local, "local");
    }

    public static LogTimestamp of(Instant instant) {
        return new LogTimestamp(LocalDateTime.ofInstant(instant, ZoneOffset.UTC), ZoneOffset.UTC);
    }

    /** The instant when the offset is known; otherwise the wall-clock time read as UTC. */
    public Instant instantOrUtc() {
        return local.toInstant(offset == null ? ZoneOffset.UTC : offset);
    }

    public boolean zoneKnown() {
        return offset != null;
    }

    /** Elapsed time from {@code start} to {@code end} (negative when end is earlier). */
    public static Duration between(LogTimestamp start, LogTimestamp end) {
        if (start.offset != null && end.offset != null) {
            return Duration.between(start.instantOrUtc(), end.instantOrUtc());
        }
        return Duration.between(start.local, end.local);
    }

    @Override
    public int compareTo(LogTimestamp o) {
        return ORDER.compare(this, o);
    }

    /** Fraction in milli-, micro- or nanosecond steps as needed: .846, .846123, none for whole seconds. */
    private static String fraction(int nanos) {
        if (nanos == 0) {
            return "";
        }
        String nine = String.format(java.util.Locale.ROOT, ".%09d", nanos);
        if (nanos % 1_000_000 == 0) {
            return nine.substring(0, 4);
        }
        return nanos % 1_000 == 0 ? nine.substring(0, 7) : nine;
    }

    /** ISO-8601: {@code 2017-01-04T22:15:58.846Z}, with the offset when known, without it otherwise. */
    @Override
    public String toString() {
        String base = local.withNano(0).format(SECONDS) + fraction(local.getNano());
        if (offset == null) {
            return base;
        }
        return base + (offset.equals(ZoneOffset.UTC) ? "Z" : offset.getId());
    }
}
