package dev.stillpoint.engine.diagnostics;

import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads VMware {@code vmware.log} files (and rotated {@code vmware-N.log}, plain or gzip) for stun
 * events and snapshot-operation markers. Line formats (see package-info for the full description):
 * <pre>
 * 2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 38123 us     (ESXi 5-6)
 * 2022-06-14T07:48:02.373Z In(05) vcpu-0 - Checkpoint_Unstun: vm stopped for 305880 us  (ESXi 7+)
 * Jan 04 22:15:58.846: vcpu-0| Checkpoint_Unstun: vm stopped for 38123 us                (older, no year)
 * vmware-1.log:2017-01-04T22:15:58.846Z| vcpu-0| ...                                      (grep output)
 * </pre>
 * Lines without a timestamp, cut before the {@code us} unit, or with a value beyond a signed 64-bit
 * count are skipped with a {@link ParseWarning}. Yearless timestamps get their year from the file's
 * modification time: the last yearless time in the file is placed in the modification year (or the
 * year before if its month/day is later than the modification date), and each December-to-January
 * step earlier in the file counts one year back.
 */
public final class StunLogParser {
    private static final Pattern UNSTUN_WORD = Pattern.compile("Checkpoint_?Unstun");
    private static final Pattern UNSTUN = Pattern.compile("Checkpoint_?Unstun:?\\s*vm stopped for\\s+(\\d+)\\s*us\\b");
    private static final Pattern YEARLESS = Pattern.compile(
            "\\b(" + LogTimes.MONTHS + ") {1,2}(\\d{1,2}) (\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d{1,9}))?");
    private static final Pattern THREAD = Pattern.compile("\\b(vcpu-\\d+|vmx|mks|svga|worker-\\d+)\\b");
    private static final Pattern CONSOLIDATE_MARK =
            Pattern.compile("consolidat|removesnapshot|snapshot_delete|deletesnapshot|snapshotvmxremove");
    private static final Pattern CREATE_MARK = Pattern.compile("takesnapshot|create snapshot|createsnapshot");

    /** Reads one file. */
    public StunLog parse(Path file) throws DiagnosticsException {
        LogFile log = LogFile.read(file);
        StunLog parsed = parse(log.name(), log.lines(), log.modified());
        if (log.warnings().isEmpty()) {
            return parsed;
        }
        List<ParseWarning> warnings = new ArrayList<>(log.warnings());
        warnings.addAll(parsed.warnings());
        return new StunLog(parsed.events(), parsed.markers(), warnings);
    }

    /** Parses lines already read; {@code modified} (the file's modification date) places yearless timestamps (see class comment). */
    StunLog parse(String name, List<String> lines, LocalDate modified) {
        List<Pending> pending = new ArrayList<>();
        List<ParseWarning> warnings = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            parseLine(name, i + 1, lines.get(i), pending, warnings);
        }
        int lastYear = resolveYears(pending, modified);
        if (lastYear != 0) {
            warnings.add(new ParseWarning(
                    name,
                    0,
                    "timestamps carry no year; the last one was placed in " + lastYear
                            + " from the file's modification date " + modified));
        }
        List<StunEvent> events = new ArrayList<>();
        List<OperationMarker> markers = new ArrayList<>();
        for (Pending p : pending) {
            if (p.kind == null) {
                events.add(new StunEvent(p.time, p.micros, p.thread, name, p.line));
            } else {
                markers.add(new OperationMarker(p.time, p.kind, name, p.line, p.text));
            }
        }
        return new StunLog(List.copyOf(events), List.copyOf(markers), List.copyOf(warnings));
    }

    private static void parseLine(
            String name, int lineNo, String line, List<Pending> out, List<ParseWarning> warnings) {
        Matcher word = UNSTUN_WORD.matcher(line);
        if (word.find()) {
            Matcher m = UNSTUN.matcher(line);
            if (!m.find()) {
                warnings.add(new ParseWarning(
                        name,
                        lineNo,
                        "Checkpoint_Unstun line without 'vm stopped for N us' " + "(truncated?); skipped: "
                                + abbreviate(line)));
                return;
            }
            long micros;
            try {
                micros = Long.parseLong(m.group(1));
            } catch (NumberFormatException e) {
                warnings.add(new ParseWarning(
                        name,
                        lineNo,
                        "stun value " + abbreviate(m.group(1)) + " us exceeds 9223372036854775807; skipped"));
                return;
            }
            String prefix = line.substring(0, word.start());
            Pending p = stamp(prefix);
            if (p == null) {
                warnings.add(new ParseWarning(
                        name,
                        lineNo,
                        "Checkpoint_Unstun line without a timestamp " + "(truncated?); skipped: " + abbreviate(line)));
                return;
            }
            Matcher t = THREAD.matcher(prefix);
            p.thread = t.find() ? t.group(1) : null;
            p.micros = micros;
            p.line = lineNo;
            out.add(p);
            return;
        }
        String lower = line.toLowerCase(Locale.ROOT);
        OperationKind kind = CONSOLIDATE_MARK.matcher(lower).find()
                ? OperationKind.CONSOLIDATE
                : CREATE_MARK.matcher(lower).find() ? OperationKind.CREATE : null;
        if (kind == null) {
            return;
        }
        Pending p = stamp(line.length() > 64 ? line.substring(0, 64) : line);
        if (p == null) {
            return;
        }
        p.kind = kind;
        p.line = lineNo;
        p.text = abbreviate(line.strip());
        out.add(p);
    }

    /** The timestamp at the start of a line (after an optional grep file-name prefix), or null. */
    private static Pending stamp(String prefix) {
        Matcher iso = LogTimes.ISO.matcher(prefix);
        Pending p = new Pending();
        if (iso.find()) {
            try {
                p.time = LogTimes.iso(iso);
                return p;
            } catch (DateTimeException e) {
                return null;
            }
        }
        Matcher y = YEARLESS.matcher(prefix);
        if (y.find()) {
            p.month = LogTimes.month(y.group(1));
            p.day = Integer.parseInt(y.group(2));
            try {
                p.timeOfDay = LocalTime.of(
                        Integer.parseInt(y.group(3)),
                        Integer.parseInt(y.group(4)),
                        Integer.parseInt(y.group(5)),
                        LogTimes.nanos(y.group(6)));
            } catch (DateTimeException e) {
                return null;
            }
            return p;
        }
        return null;
    }

    /**
     * Gives yearless entries a year; returns the year of the last one, 0 when there were none.
     * Impossible dates (Feb 29 in a common year) become Feb 28.
     */
    private static int resolveYears(List<Pending> pending, LocalDate modified) {
        List<Pending> yearless = pending.stream().filter(p -> p.time == null).toList();
        if (yearless.isEmpty()) {
            return 0;
        }
        int[] index = new int[yearless.size()];
        for (int i = 1; i < index.length; i++) {
            boolean wrapped = yearless.get(i).month < yearless.get(i - 1).month
                    && yearless.get(i - 1).month - yearless.get(i).month >= 6;
            index[i] = index[i - 1] + (wrapped ? 1 : 0);
        }
        Pending last = yearless.get(yearless.size() - 1);
        boolean lastAfterModified = last.month > modified.getMonthValue()
                || (last.month == modified.getMonthValue() && last.day > modified.getDayOfMonth());
        int lastYear = modified.getYear() - (lastAfterModified ? 1 : 0);
        for (int i = 0; i < index.length; i++) {
            Pending p = yearless.get(i);
            int year = lastYear - (index[index.length - 1] - index[i]);
            int day = Math.min(p.day, java.time.YearMonth.of(year, p.month).lengthOfMonth());
            p.time = new LogTimestamp(LocalDateTime.of(LocalDate.of(year, p.month, day), p.timeOfDay), null);
        }
        return lastYear;
    }

    static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }

    private static final class Pending {
        LogTimestamp time;
        int month;
        int day;
        LocalTime timeOfDay;
        long micros;
        String thread;
        int line;
        OperationKind kind;
        String text;
    }
}
