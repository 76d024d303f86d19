package dev.stillpoint.engine.diagnostics;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.guest.contract.GuestReport;
import dev.stillpoint.guest.contract.GuestReport.Result;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

/**
 * Reads Stillpoint's own freeze reports (stillpoint-guest's {@code last-report.json}): one JSON
 * object, an array of them, or JSON Lines (one object per line). Fields read, all top level:
 * <ul>
 *   <li>{@code result} (optional string): absent or {@code ok} → thawed; {@code thawed-by-watchdog};
 *       {@code thaw-incomplete} → thaw-failed; {@code freeze-failed} or {@code failed} → freeze-failed;
 *       {@code frozen} (the report written at freeze time) → no-thaw;</li>
 *   <li>{@code freezeWindowMs} (number): milliseconds the filesystems (or, without fsfreeze, the
 *       application) were frozen; required unless the result is frozen, failed or freeze-failed;</li>
 *   <li>end time: {@code thawedAt} or {@code thawCompletedAt}, for a thawed report else
 *       {@code finishedAt} or {@code end}; start time: {@code frozenAt} or {@code freezeStartedAt},
 *       else end − freezeWindowMs, else {@code startedAt} or {@code start} (the operation start,
 *       which includes the freeze hooks). Times: ISO-8601 strings (with offset or Z) or epoch ms;</li>
 *   <li>{@code vm}, {@code host} or {@code hostname} (optional string): shown in the window's key;</li>
 *   <li>{@code hooks} (optional array of objects): {@code name} (or {@code path}), {@code phase},
 *       {@code result}, {@code exitCode}, {@code durationMs}.</li>
 * </ul>
 * Other fields are ignored, so the report may grow. The field names and result values are the
 * contract's ({@link GuestReport}, checked against its golden report in the tests); this reader is
 * deliberately more lenient than {@link GuestReport#parse} because it also reads report files that
 * people merged or annotated (arrays, JSON Lines, the aliases above, epoch times, fractional ms).
 */
final class StillpointReportReader {

    List<FreezeWindow> read(String file, String text) throws DiagnosticsException {
        List<Object> objects = new ArrayList<>();
        try {
            Object root = JSON.std.anyFrom(text);
            if (root instanceof List<?> list) {
                objects.addAll(list);
            } else {
                objects.add(root);
            }
            if (!(root instanceof List<?>) && text.strip().lines().count() > 1 && looksLikeJsonLines(text)) {
                objects.clear();
                jsonLines(file, text, objects);
            }
        } catch (IOException e) {
            if (!looksLikeJsonLines(text)) {
                throw bad(
                        file,
                        "not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
            }
            objects.clear();
            jsonLines(file, text, objects);
        }
        List<FreezeWindow> windows = new ArrayList<>();
        for (int i = 0; i < objects.size(); i++) {
            if (!(objects.get(i) instanceof Map<?, ?> map)) {
                throw bad(file, "report " + (i + 1) + " is not a JSON object");
            }
            windows.add(window(file, objects.size() == 1 ? "" : "report " + (i + 1) + ": ", map));
        }
        return windows;
    }

    private static boolean looksLikeJsonLines(String text) {
        return text.strip()
                .lines()
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .allMatch(s -> s.startsWith("{") && s.endsWith("}"));
    }

    private static void jsonLines(String file, String text, List<Object> out) throws DiagnosticsException {
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            try {
                out.add(JSON.std.anyFrom(lines.get(i)));
            } catch (IOException e) {
                throw bad(
                        file,
                        "line " + (i + 1) + ": not valid JSON: "
                                + e.getMessage().lines().findFirst().orElse(""));
            }
        }
    }

    private static FreezeWindow window(String file, String where, Map<?, ?> map) throws DiagnosticsException {
        String result = map.get("result") instanceof String r ? r : null;
        FreezeWindow.Outcome outcome = outcome(result);
        Object ms = map.get("freezeWindowMs");
        Long duration = null;
        if (ms instanceof Number n) {
            duration = Math.round(n.doubleValue());
            if (duration < 0) {
                throw bad(file, where + "field freezeWindowMs is " + n + "; it must not be negative");
            }
        } else if (ms != null || outcome.thawed() || outcome == FreezeWindow.Outcome.THAW_FAILED) {
            throw bad(
                    file,
                    where + "field freezeWindowMs is " + (ms == null ? "missing" : "'" + ms + "'")
                            + "; a Stillpoint report of a thawed freeze needs the freeze window as a number of milliseconds");
        }
        LogTimestamp end = time(file, where, map, "thawedAt", "thawCompletedAt");
        LogTimestamp start = time(file, where, map, "frozenAt", "freezeStartedAt");
        if (start == null && end != null && duration != null) {
            start = LogTimestamp.of(end.instantOrUtc().minusMillis(duration));
        }
        if (start == null) {
            start = time(file, where, map, "startedAt", "start");
        }
        if (end == null && outcome.thawed()) {
            end = time(file, where, map, "finishedAt", "end");
        }
        String key = "stillpoint";
        for (String k : List.of("vm", "host", "hostname")) {
            if (map.get(k) instanceof String s && !s.isBlank()) {
                key = "stillpoint:" + s;
                break;
            }
        }
        return new FreezeWindow(
                key,
                FreezeLogFormat.STILLPOINT_REPORT,
                outcome,
                start,
                end,
                duration,
                file,
                0,
                0,
                hooks(map.get("hooks")));
    }

    /** The report's {@code result}: absent or ok → thawed; see the class comment for the others. */
    private static FreezeWindow.Outcome outcome(String result) {
        if (result == null) {
            return FreezeWindow.Outcome.THAWED;
        }
        return switch (result) {
            case Result.THAWED_BY_WATCHDOG -> FreezeWindow.Outcome.THAWED_BY_WATCHDOG;
            case Result.THAW_INCOMPLETE -> FreezeWindow.Outcome.THAW_FAILED;
            case Result.FREEZE_FAILED, Result.FAILED -> FreezeWindow.Outcome.FREEZE_FAILED;
            case Result.FROZEN -> FreezeWindow.Outcome.NO_THAW;
            default -> FreezeWindow.Outcome.THAWED;
        };
    }

    private static LogTimestamp time(String file, String where, Map<?, ?> map, String... names)
            throws DiagnosticsException {
        for (String name : names) {
            Object v = map.get(name);
            if (v == null) {
                continue;
            }
            if (v instanceof Number n) {
                return LogTimestamp.of(Instant.ofEpochMilli(n.longValue()));
            }
            if (v instanceof String s) {
                Matcher m = LogTimes.ISO.matcher(s.strip());
                try {
                    if (m.matches()) {
                        return LogTimes.iso(m);
                    }
                    return LogTimestamp.of(Instant.parse(s.strip()));
                } catch (java.time.DateTimeException e) {
                    // fall through to the error below
                }
            }
            throw bad(
                    file, where + "field " + name + " is '" + v + "'; expected an ISO-8601 time or epoch milliseconds");
        }
        return null;
    }

    private static List<FreezeWindow.HookRun> hooks(Object value) {
        if (!(value instanceof List<?> list)) {
            return List.of();
        }
        List<FreezeWindow.HookRun> out = new ArrayList<>();
        for (Object o : list) {
            if (o instanceof Map<?, ?> h) {
                Object name = h.get("name") != null ? h.get("name") : h.get("path");
                out.add(new FreezeWindow.HookRun(
                        name == null ? null : name.toString(),
                        h.get("phase") == null ? null : h.get("phase").toString(),
                        h.get("result") == null ? null : h.get("result").toString(),
                        h.get("exitCode") instanceof Number c ? c.intValue() : null,
                        h.get("durationMs") instanceof Number d ? d.longValue() : null));
            }
        }
        return List.copyOf(out);
    }

    private static DiagnosticsException bad(String file, String message) {
        return new DiagnosticsException(DiagnosticsException.Code.BAD_FORMAT, file + ": " + message);
    }
}
