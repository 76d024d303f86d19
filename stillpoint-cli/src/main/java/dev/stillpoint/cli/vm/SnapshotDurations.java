package dev.stillpoint.cli.vm;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --expire}: {@code 30m}, {@code 12h}, {@code 7d}, {@code 2w}, {@code 90s} or ISO-8601 ({@code PT36H}); positive. */
final class SnapshotDurations implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        Duration d;
        try {
            if (v.startsWith("p")) d = Duration.parse(value.trim().toUpperCase(Locale.ROOT));
            else {
                long n = Long.parseLong(v.substring(0, v.length() - 1));
                d = switch (v.charAt(v.length() - 1)) {
                    case 's' -> Duration.ofSeconds(n);
                    case 'm' -> Duration.ofMinutes(n);
                    case 'h' -> Duration.ofHours(n);
                    case 'd' -> Duration.ofDays(n);
                    case 'w' -> Duration.ofDays(7 * n);
                    default -> throw new NumberFormatException();
                };
            }
        } catch (NumberFormatException
                | DateTimeParseException
                | StringIndexOutOfBoundsException
                | ArithmeticException e) {
            throw new TypeConversionException(
                    "'" + value + "' is not a duration (e.g. 90s, 30m, 12h, 7d, 2w or PT36H)");
        }
        if (d.isNegative() || d.isZero()) throw new TypeConversionException("'" + value + "' must be positive");
        return d;
    }
}
