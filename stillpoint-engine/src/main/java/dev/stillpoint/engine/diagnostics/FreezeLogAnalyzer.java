package dev.stillpoint.engine.diagnostics;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Freeze-to-thaw windows from hook logs, Caché logs and Stillpoint reports.
 *
 * <p>Pairing: markers of all files are merged in time order and paired per (format, key); the key
 * is the Caché instance, or the hook log's name without its freeze/thaw word, so the two files a
 * sample script writes ({@code ...-freeze.log}, {@code ...-thaw.log}) pair up. A freeze opens a
 * window; further freezes before the thaw are counted as {@code extraFreezes} (the window keeps
 * the first); a thaw closes it (THAWED), freezeFail or FREEZE FAILED closes it as FREEZE_FAILED,
 * THAW FAILED as THAW_FAILED; a window still open at the end is NO_THAW. A thaw with no open
 * window is an anomaly. Reports give complete windows and are not paired.
 */
public final class FreezeLogAnalyzer {
    private final FreezeLogParser parser = new FreezeLogParser();

    /** Reads and analyses the files; every file is checked before any is read. */
    public FreezeLogAnalysis analyze(List<Path> files) throws DiagnosticsException {
        for (Path f : files) {
            LogFile.checkReadable(f);
        }
        List<FreezeLog> logs = new ArrayList<>();
        for (Path f : files) {
            logs.add(parser.parse(f));
        }
        return analyzeLogs(logs);
    }

    /** Analyses logs already parsed. */
    public FreezeLogAnalysis analyzeLogs(List<FreezeLog> logs) {
        List<FreezeLogAnalysis.FileSummary> files = new ArrayList<>();
        List<FreezeMarker> markers = new ArrayList<>();
        List<FreezeWindow> windows = new ArrayList<>();
        List<ParseWarning> warnings = new ArrayList<>();
        for (FreezeLog log : logs) {
            LinkedHashSet<String> formats = new LinkedHashSet<>();
            log.markers().forEach(m -> formats.add(m.format().id()));
            log.windows().forEach(w -> formats.add(w.format().id()));
            files.add(new FreezeLogAnalysis.FileSummary(
                    log.file(),
                    List.copyOf(formats),
                    log.markers().size() + log.windows().size()));
            markers.addAll(log.markers());
            windows.addAll(log.windows());
            warnings.addAll(log.warnings());
        }
        markers.sort(Comparator.comparing(FreezeMarker::time));
        List<ParseWarning> anomalies = new ArrayList<>();
        windows.addAll(pair(markers, anomalies));
        windows.sort(Comparator.comparing(FreezeWindow::frozenAt, Comparator.nullsLast(Comparator.naturalOrder())));
        for (FreezeWindow w : windows) {
            if (w.durationMs() != null && w.durationMs() < 0) {
                anomalies.add(
                        new ParseWarning(
                                w.file(),
                                w.line(),
                                w.key() + ": thaw logged " + (-w.durationMs())
                                        + " ms before the freeze (clock change, or times without a zone across a DST switch?)"));
            }
        }
        List<Long> thawed = windows.stream()
                .filter(w -> w.outcome().thawed() && w.durationMs() != null)
                .map(FreezeWindow::durationMs)
                .toList();
        DurationStats stats = thawed.isEmpty() ? null : DurationStats.of(thawed);
        return new FreezeLogAnalysis(
                List.copyOf(files), List.copyOf(windows), stats, List.copyOf(anomalies), List.copyOf(warnings));
    }

    private static List<FreezeWindow> pair(List<FreezeMarker> markers, List<ParseWarning> anomalies) {
        record Stream(FreezeLogFormat format, String key) {}
        final class Open {
            final FreezeMarker start;
            int extra;

            Open(FreezeMarker start) {
                this.start = start;
            }
        }
        Map<Stream, Open> open = new LinkedHashMap<>();
        List<FreezeWindow> out = new ArrayList<>();
        for (FreezeMarker m : markers) {
            Stream s = new Stream(m.format(), m.key());
            Open o = open.get(s);
            switch (m.kind()) {
                case FREEZE -> {
                    if (o == null) {
                        open.put(s, new Open(m));
                    } else {
                        o.extra++;
                    }
                }
                case THAW, FREEZE_FAIL, THAW_ERROR -> {
                    FreezeWindow.Outcome outcome = m.kind() == FreezeMarker.Kind.THAW
                            ? FreezeWindow.Outcome.THAWED
                            : m.kind() == FreezeMarker.Kind.FREEZE_FAIL
                                    ? FreezeWindow.Outcome.FREEZE_FAILED
                                    : FreezeWindow.Outcome.THAW_FAILED;
                    if (o == null) {
                        anomalies.add(new ParseWarning(
                                m.file(),
                                m.line(),
                                m.key() + ": "
                                        + m.kind().name().toLowerCase(java.util.Locale.ROOT) + " at " + m.time()
                                        + " without a freeze before it"));
                    } else {
                        open.remove(s);
                        out.add(closed(o.start, m, outcome, o.extra));
                    }
                }
                case FREEZE_ERROR -> {
                    if (o != null) {
                        open.remove(s);
                        out.add(closed(o.start, m, FreezeWindow.Outcome.FREEZE_FAILED, o.extra));
                    } else {
                        out.add(new FreezeWindow(
                                m.key(),
                                m.format(),
                                FreezeWindow.Outcome.FREEZE_FAILED,
                                m.time(),
                                m.time(),
                                0L,
                                m.file(),
                                m.line(),
                                0,
                                List.of()));
                    }
                }
            }
        }
        for (Open o : open.values()) {
            FreezeMarker m = o.start;
            out.add(new FreezeWindow(
                    m.key(),
                    m.format(),
                    FreezeWindow.Outcome.NO_THAW,
                    m.time(),
                    null,
                    null,
                    m.file(),
                    m.line(),
                    o.extra,
                    List.of()));
            anomalies.add(new ParseWarning(
                    m.file(), m.line(), m.key() + ": frozen at " + m.time() + " and no thaw logged after it"));
        }
        return out;
    }

    private static FreezeWindow closed(FreezeMarker start, FreezeMarker end, FreezeWindow.Outcome outcome, int extra) {
        long ms = LogTimestamp.between(start.time(), end.time()).toMillis();
        return new FreezeWindow(
                start.key(),
                start.format(),
                outcome,
                start.time(),
                end.time(),
                ms,
                start.file(),
                start.line(),
                extra,
                List.of());
    }
}
