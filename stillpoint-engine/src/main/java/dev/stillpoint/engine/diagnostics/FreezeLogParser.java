package dev.stillpoint.engine.diagnostics;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one freeze/thaw log: a Stillpoint JSON report when the first non-blank character is
 * {@code {} or {@code [}, otherwise a text log whose lines may mix the text formats of
 * {@link FreezeLogFormat}. Unrelated lines are ignored; a freeze/thaw word with no time before it
 * is skipped with a warning.
 */
public final class FreezeLogParser {
    private static final Pattern CACHE_STATE = Pattern.compile(
            "(?<time>.+?):\\s+(?<inst>\\S+)\\s+(?<state>IS FROZEN|IS THAWED|FREEZE FAILED|THAW FAILED)\\s*");
    private static final Pattern CACHE_BACKUP = Pattern.compile(
            "(?<time>\\d{1,2}/\\d{1,2}/\\d{4} \\d{1,2}:\\d{2}:\\d{2}):\\s*Backup\\.General\\.External(?<op>Freeze|Thaw):\\s*(?<msg>.*)");
    private static final Pattern HOOK_WORD =
            Pattern.compile("(?i)(?:(?<time>.*\\S)\\s+)?\"?(?<word>freeze|thaw|freezefail)\"?");
    private static final Pattern NUTANIX =
            Pattern.compile("(?i)(?<time>.*\\S)\\s+Running (?<script>pre_freeze|post_thaw) script");
    private static final Pattern KEY_WORDS = Pattern.compile("(pre_|post_)?(fre+ze(fail)?|thaw)(_log)?");

    private final StillpointReportReader reports = new StillpointReportReader();

    public FreezeLog parse(Path file) throws DiagnosticsException {
        LogFile log = LogFile.read(file);
        FreezeLog parsed = parse(log.name(), log.lines());
        if (log.warnings().isEmpty()) {
            return parsed;
        }
        List<ParseWarning> warnings = new ArrayList<>(log.warnings());
        warnings.addAll(parsed.warnings());
        return new FreezeLog(parsed.file(), parsed.markers(), parsed.windows(), warnings);
    }

    FreezeLog parse(String name, List<String> lines) throws DiagnosticsException {
        String first = lines.stream()
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .findFirst()
                .orElse("");
        if (first.startsWith("{") || first.startsWith("[")) {
            return new FreezeLog(name, List.of(), reports.read(name, String.join("\n", lines)), List.of());
        }
        List<FreezeMarker> markers = new ArrayList<>();
        List<ParseWarning> warnings = new ArrayList<>();
        String hookKey = hookKey(name);
        LogTimestamp lastTime = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            int no = i + 1;
            if (line.isEmpty()) {
                continue;
            }
            Matcher m = CACHE_BACKUP.matcher(line);
            if (m.matches()) {
                cacheBackup(name, no, m).ifPresent(markers::add);
                continue;
            }
            m = CACHE_STATE.matcher(line);
            if (m.matches()) {
                Optional<LogTimestamp> t = LogTimes.parse(m.group("time"));
                if (t.isPresent()) {
                    markers.add(new FreezeMarker(
                            t.get(),
                            cacheKind(m.group("state")),
                            FreezeLogFormat.CACHE_SNAPSHOT_LOG,
                            m.group("inst"),
                            name,
                            no));
                } else {
                    warnings.add(new ParseWarning(name, no, "cannot read the time '" + m.group("time") + "'; skipped"));
                }
                continue;
            }
            m = NUTANIX.matcher(line);
            if (m.matches()) {
                Optional<LogTimestamp> t = LogTimes.parse(m.group("time"));
                if (t.isPresent()) {
                    boolean freeze = m.group("script").equalsIgnoreCase("pre_freeze");
                    markers.add(new FreezeMarker(
                            t.get(),
                            freeze ? FreezeMarker.Kind.FREEZE : FreezeMarker.Kind.THAW,
                            FreezeLogFormat.NUTANIX_SCRIPT_LOG,
                            hookKey,
                            name,
                            no));
                    continue;
                }
            }
            m = HOOK_WORD.matcher(line);
            if (m.matches()) {
                boolean ownTime = m.group("time") != null;
                LogTimestamp t = ownTime ? LogTimes.parse(m.group("time")).orElse(null) : lastTime;
                lastTime = null;
                if (t != null) {
                    markers.add(new FreezeMarker(
                            t, hookKind(m.group("word")), FreezeLogFormat.HOOK_LOG, hookKey, name, no));
                    continue;
                }
                if (!ownTime) {
                    warnings.add(new ParseWarning(
                            name, no, "'" + m.group("word") + "' without a time on the line before; skipped"));
                    continue;
                }
            }
            lastTime = LogTimes.parse(line).orElse(null);
        }
        return new FreezeLog(name, List.copyOf(markers), List.of(), List.copyOf(warnings));
    }

    private static Optional<FreezeMarker> cacheBackup(String name, int no, Matcher m) {
        Optional<LogTimestamp> t = LogTimes.parse(m.group("time"));
        String msg = m.group("msg").toLowerCase(Locale.ROOT);
        boolean freeze = m.group("op").equals("Freeze");
        FreezeMarker.Kind kind;
        if (msg.contains("fail") || msg.contains("error")) {
            kind = freeze ? FreezeMarker.Kind.FREEZE_ERROR : FreezeMarker.Kind.THAW_ERROR;
        } else if (freeze && msg.startsWith("system suspended")) {
            kind = FreezeMarker.Kind.FREEZE;
        } else if (!freeze && msg.startsWith("system resumed")) {
            kind = FreezeMarker.Kind.THAW;
        } else {
            return Optional.empty();
        }
        return t.map(time -> new FreezeMarker(time, kind, FreezeLogFormat.CACHE_BACKUP_LOG, cacheKey(name), name, no));
    }

    private static FreezeMarker.Kind cacheKind(String state) {
        return switch (state) {
            case "IS FROZEN" -> FreezeMarker.Kind.FREEZE;
            case "IS THAWED" -> FreezeMarker.Kind.THAW;
            case "FREEZE FAILED" -> FreezeMarker.Kind.FREEZE_ERROR;
            default -> FreezeMarker.Kind.THAW_ERROR;
        };
    }

    private static FreezeMarker.Kind hookKind(String word) {
        return switch (word.toLowerCase(Locale.ROOT)) {
            case "freeze" -> FreezeMarker.Kind.FREEZE;
            case "thaw" -> FreezeMarker.Kind.THAW;
            default -> FreezeMarker.Kind.FREEZE_FAIL;
        };
    }

    /** {@code /var/log/H20152-pre_post.log} → {@code H20152}. */
    static String cacheKey(String file) {
        return stem(file).replaceFirst("(?i)-pre_post$", "");
    }

    /**
     * The hook log's name without its freeze/thaw word, so that both halves of one script pair up:
     * {@code vmware-tools-backup-db1-root-freeze.log} and {@code ...-thaw.log} → {@code vmware-tools-backup-db1-root};
     * {@code ngt-freeze-db1-root.log} → {@code ngt-db1-root}; {@code C:\freeeze.log}, {@code thaw.log} → {@code hook}.
     */
    static String hookKey(String file) {
        String s = KEY_WORDS.matcher(stem(file).toLowerCase(Locale.ROOT)).replaceAll("");
        s = s.replaceAll("[-_.]{2,}", "-").replaceAll("^[-_.]+|[-_.]+$", "");
        return s.isEmpty() ? "hook" : s;
    }

    private static String stem(String file) {
        String base = file.replace('\\', '/');
        base = base.substring(base.lastIndexOf('/') + 1);
        base = base.replaceFirst("(?i)\\.gz$", "");
        int dot = base.lastIndexOf('.');
        return dot > 0 ? base.substring(0, dot) : base;
    }
}
