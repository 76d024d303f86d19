package dev.stillpoint.engine.diagnostics;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsers for the time formats the seeds' logs use. Each accepts the whole (trimmed) text of a
 * timestamp and returns empty when it is not one:
 * <ul>
 *   <li>ISO-8601: {@code 2017-01-04T22:15:58.846Z}, {@code 2017-01-04 16:30:35+09:00}, {@code 2017-01-04T16:30:35}</li>
 *   <li>{@code date} in the C / en_US locale: {@code Wed Jan  4 16:30:35 EST 2017},
 *       {@code Wed Jan  4 04:30:35 PM EST 2017}, {@code Wed Jan 4 16:30:35 2017}</li>
 *   <li>{@code date} in the ja_JP locale: {@code 2017年  1月  4日 水曜日 16:30:35 JST}</li>
 *   <li>Windows {@code %date% %time%}: {@code 2017/01/04 16:30:35.12} (ja-JP, year first) and
 *       {@code Wed 01/04/2017  9:30:35.12} (en-US, month first)</li>
 *   <li>InterSystems Caché / IRIS backup log: {@code 01/04/2017 16:30:35} (month first)</li>
 * </ul>
 * Zone abbreviations known here (fixed offsets): UTC, GMT, Z, EST, EDT, CST, CDT, MST, MDT, PST,
 * PDT, JST, KST, CET, CEST, EET, EEST, WET, WEST, BST, AEST, AEDT. Any other abbreviation leaves the
 * offset unknown (times compared as wall-clock).
 */
final class LogTimes {
    static final String MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec";

    static final Pattern ISO = Pattern.compile(
            "(\\d{4})-(\\d{2})-(\\d{2})[T ](\\d{1,2}):(\\d{2}):(\\d{2})(?:[.,](\\d{1,9}))?\\s?(Z|[+-]\\d{2}:?\\d{2})?");
    private static final Pattern UNIX_DATE = Pattern.compile("(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\\w*,?\\s+)?(" + MONTHS
            + ")\\w*\\s+(\\d{1,2}),?\\s+(\\d{1,2}):(\\d{2}):(\\d{2})"
            + "(?:\\s*([AaPp][Mm]))?(?:\\s+([A-Za-z]{1,5}|[+-]\\d{4}))?\\s+(\\d{4})");
    private static final Pattern JA_DATE = Pattern.compile(
            "(\\d{4})年\\s*(\\d{1,2})月\\s*(\\d{1,2})日(?:\\s*\\S*曜日)?\\s+(\\d{1,2}):(\\d{2}):(\\d{2})(?:\\s+([A-Za-z]{1,5}))?");
    private static final Pattern SLASH_YEAR_FIRST = Pattern.compile(
            "(?:\\S+\\s+)?(\\d{4})/(\\d{1,2})/(\\d{1,2})(?:\\s+\\S+)??\\s+(\\d{1,2}):(\\d{2}):(\\d{2})(?:[.,](\\d{1,9}))?");
    private static final Pattern SLASH_MONTH_FIRST = Pattern.compile(
            "(?:[A-Za-z]{2,3}\\s+)?(\\d{1,2})/(\\d{1,2})/(\\d{4})\\s+(\\d{1,2}):(\\d{2}):(\\d{2})(?:[.,](\\d{1,9}))?");

    private static final Map<String, Integer> ZONES = Map.ofEntries(
            Map.entry("UTC", 0),
            Map.entry("GMT", 0),
            Map.entry("Z", 0),
            Map.entry("EST", -5),
            Map.entry("EDT", -4),
            Map.entry("CST", -6),
            Map.entry("CDT", -5),
            Map.entry("MST", -7),
            Map.entry("MDT", -6),
            Map.entry("PST", -8),
            Map.entry("PDT", -7),
            Map.entry("JST", 9),
            Map.entry("KST", 9),
            Map.entry("CET", 1),
            Map.entry("CEST", 2),
            Map.entry("EET", 2),
            Map.entry("EEST", 3),
            Map.entry("WET", 0),
            Map.entry("WEST", 1),
            Map.entry("BST", 1),
            Map.entry("AEST", 10),
            Map.entry("AEDT", 11));

    private LogTimes() {}

    /** Parses a whole timestamp in any of the formats above. */
    static Optional<LogTimestamp> parse(String text) {
        String s = text.strip().replaceFirst("\\s*[:|-]$", "");
        if (s.isEmpty()) {
            return Optional.empty();
        }
        try {
            Matcher m = ISO.matcher(s);
            if (m.matches()) {
                return Optional.of(iso(m));
            }
            m = UNIX_DATE.matcher(s);
            if (m.matches()) {
                int hour = twelveHour(Integer.parseInt(m.group(3)), m.group(6));
                return Optional.of(new LogTimestamp(
                        LocalDateTime.of(
                                Integer.parseInt(m.group(8)),
                                month(m.group(1)),
                                Integer.parseInt(m.group(2)),
                                hour,
                                Integer.parseInt(m.group(4)),
                                Integer.parseInt(m.group(5))),
                        zone(m.group(7))));
            }
            m = JA_DATE.matcher(s);
            if (m.matches()) {
                return Optional.of(new LogTimestamp(
                        LocalDateTime.of(
                                Integer.parseInt(m.group(1)),
                                Integer.parseInt(m.group(2)),
                                Integer.parseInt(m.group(3)),
                                Integer.parseInt(m.group(4)),
                                Integer.parseInt(m.group(5)),
                                Integer.parseInt(m.group(6))),
                        zone(m.group(7))));
            }
            m = SLASH_YEAR_FIRST.matcher(s);
            if (m.matches()) {
                return Optional.of(new LogTimestamp(
                        LocalDateTime.of(
                                Integer.parseInt(m.group(1)),
                                Integer.parseInt(m.group(2)),
                                Integer.parseInt(m.group(3)),
                                Integer.parseInt(m.group(4)),
                                Integer.parseInt(m.group(5)),
                                Integer.parseInt(m.group(6)),
                                nanos(m.group(7))),
                        null));
            }
            m = SLASH_MONTH_FIRST.matcher(s);
            if (m.matches()) {
                return Optional.of(new LogTimestamp(
                        LocalDateTime.of(
                                Integer.parseInt(m.group(3)),
                                Integer.parseInt(m.group(1)),
                                Integer.parseInt(m.group(2)),
                                Integer.parseInt(m.group(4)),
                                Integer.parseInt(m.group(5)),
                                Integer.parseInt(m.group(6)),
                                nanos(m.group(7))),
                        null));
            }
        } catch (DateTimeException | NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** Builds a timestamp from a match of {@link #ISO}; throws DateTimeException for impossible dates. */
    static LogTimestamp iso(Matcher m) {
        LocalDateTime local = LocalDateTime.of(
                Integer.parseInt(m.group(1)),
                Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3)),
                Integer.parseInt(m.group(4)),
                Integer.parseInt(m.group(5)),
                Integer.parseInt(m.group(6)),
                nanos(m.group(7)));
        String z = m.group(8);
        ZoneOffset offset = null;
        if (z != null) {
            offset = z.equals("Z")
                    ? ZoneOffset.UTC
                    : ZoneOffset.of(z.length() == 5 ? z.substring(0, 3) + ":" + z.substring(3) : z);
        }
        return new LogTimestamp(local, offset);
    }

    static int month(String name) {
        return MONTHS.indexOf(name.substring(0, 3)) / 4 + 1;
    }

    static int nanos(String fraction) {
        if (fraction == null) {
            return 0;
        }
        return Integer.parseInt((fraction + "000000000").substring(0, 9));
    }

    private static int twelveHour(int hour, String amPm) {
        if (amPm == null) {
            return hour;
        }
        boolean pm = amPm.toUpperCase(Locale.ROOT).equals("PM");
        return hour % 12 + (pm ? 12 : 0);
    }

    private static ZoneOffset zone(String abbreviation) {
        if (abbreviation == null) {
            return null;
        }
        if (abbreviation.startsWith("+") || abbreviation.startsWith("-")) {
            return ZoneOffset.of(abbreviation.substring(0, 3) + ":" + abbreviation.substring(3));
        }
        Integer hours = ZONES.get(abbreviation.toUpperCase(Locale.ROOT));
        return hours == null ? null : ZoneOffset.ofHours(hours);
    }
}
