package dev.stillpoint.engine.diagnostics;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Stun statistics, snapshot operations and mirror-QoS verdicts from vmware.log files.
 *
 * <p>Grouping: stuns from all files are merged in time order (rotated {@code vmware-N.log} files may be
 * given in any order); a stun logged more than {@code groupGap} after the previous one starts a new
 * operation. Kind of an operation:
 * <ol>
 *   <li>marked: a marker line (see {@link StunLogParser}) timed from {@code groupGap} before the first
 *       stun to the last stun names it; consolidate wins over create (consolidation takes helper
 *       snapshots, so its log also mentions snapshots being taken);</li>
 *   <li>inferred, when no marker is present (e.g. {@code grep Unstun vmware*.log} output as in
 *       seed 003): a backup creates a snapshot (one stun for all disks) and later removes it (at least
 *       one stun per disk). So a group of several stuns is a consolidate; a single stun is a create,
 *       unless the operation before it was a create, then it is that snapshot's consolidate.</li>
 * </ol>
 */
public final class StunAnalyzer {

    /**
     * @param groupGap       stuns further apart than this start a new operation (default 120 s)
     * @param qosTimeoutMicros the mirror QoS timeout in microseconds, or null for no verdicts
     * @param top            how many of the longest stuns to list
     */
    public record Options(Duration groupGap, Long qosTimeoutMicros, int top) {
        public static final Duration DEFAULT_GROUP_GAP = Duration.ofSeconds(120);

        public Options {
            Objects.requireNonNull(groupGap, "groupGap");
            if (groupGap.isNegative() || groupGap.isZero()) {
                throw new IllegalArgumentException("groupGap: " + groupGap + " must be positive");
            }
            if (qosTimeoutMicros != null && qosTimeoutMicros <= 0) {
                throw new IllegalArgumentException("qosTimeoutMicros: " + qosTimeoutMicros + " must be positive");
            }
            if (top < 0) {
                throw new IllegalArgumentException("top: " + top + " must not be negative");
            }
        }

        public static Options defaults() {
            return new Options(DEFAULT_GROUP_GAP, null, 5);
        }
    }

    private final StunLogParser parser = new StunLogParser();

    /** Reads and analyses the files; every file is checked before any is read. */
    public StunAnalysis analyze(List<Path> files, Options options) throws DiagnosticsException {
        for (Path f : files) {
            LogFile.checkReadable(f);
        }
        List<StunLog> logs = new ArrayList<>();
        for (Path f : files) {
            logs.add(parser.parse(f));
        }
        return analyze(files.stream().map(Path::toString).toList(), logs, options);
    }

    /** Analyses parsed logs; {@code names} and {@code logs} correspond by index. */
    public StunAnalysis analyze(List<String> names, List<StunLog> logs, Options options) {
        List<StunAnalysis.FileSummary> files = new ArrayList<>();
        List<StunEvent> all = new ArrayList<>();
        List<OperationMarker> markers = new ArrayList<>();
        List<ParseWarning> warnings = new ArrayList<>();
        for (int i = 0; i < logs.size(); i++) {
            StunLog log = logs.get(i);
            files.add(new StunAnalysis.FileSummary(
                    names.get(i), log.events().size(), log.markers().size()));
            all.addAll(log.events());
            markers.addAll(log.markers());
            warnings.addAll(log.warnings());
        }
        all.sort(Comparator.comparing(StunEvent::time)); // stable: file order, then line order for ties
        List<StunEvent> events = dedupe(all);
        int dropped = all.size() - events.size();
        markers.sort(Comparator.comparing(OperationMarker::time));

        List<List<StunEvent>> groups = group(events, options.groupGap());
        List<SnapshotOperation> operations = new ArrayList<>();
        List<StunAnalysis.Entry> entries = new ArrayList<>();
        Long timeout = options.qosTimeoutMicros();
        int safe = 0;
        int atRisk = 0;
        int failover = 0;
        for (List<StunEvent> g : groups) {
            SnapshotOperation op = operation(
                    operations.size() + 1,
                    g,
                    markers,
                    options.groupGap(),
                    operations.isEmpty() ? null : operations.getLast());
            operations.add(op);
            for (StunEvent e : g) {
                QosVerdict v = timeout == null ? null : QosVerdict.of(e.micros(), timeout);
                if (v == QosVerdict.SAFE) {
                    safe++;
                } else if (v == QosVerdict.AT_RISK) {
                    atRisk++;
                } else if (v == QosVerdict.FAILOVER) {
                    failover++;
                }
                entries.add(new StunAnalysis.Entry(e, op.number(), v));
            }
        }
        DurationStats stats = events.isEmpty()
                ? null
                : DurationStats.of(events.stream().map(StunEvent::micros).toList());
        List<StunAnalysis.Entry> longest = entries.stream()
                .sorted(Comparator.comparingLong(
                                (StunAnalysis.Entry e) -> e.event().micros())
                        .reversed())
                .limit(options.top())
                .toList();
        StunAnalysis.QosSummary qos =
                timeout == null ? null : new StunAnalysis.QosSummary(timeout, safe, atRisk, failover);
        long suggested = stats == null ? 0 : QosVerdict.smallestSafeTimeoutSeconds(stats.max());
        return new StunAnalysis(
                List.copyOf(files),
                List.copyOf(entries),
                dropped,
                stats,
                List.copyOf(operations),
                longest,
                qos,
                suggested,
                options.groupGap().toSeconds(),
                List.copyOf(warnings));
    }

    private static List<StunEvent> dedupe(List<StunEvent> sorted) {
        record Key(LogTimestamp time, long micros, String thread) {}
        Set<Key> seen = new HashSet<>();
        List<StunEvent> out = new ArrayList<>();
        for (StunEvent e : sorted) {
            if (seen.add(new Key(e.time(), e.micros(), e.thread()))) {
                out.add(e);
            }
        }
        return out;
    }

    private static List<List<StunEvent>> group(List<StunEvent> events, Duration gap) {
        List<List<StunEvent>> groups = new ArrayList<>();
        List<StunEvent> current = null;
        for (StunEvent e : events) {
            if (current == null
                    || LogTimestamp.between(current.getLast().time(), e.time()).compareTo(gap) > 0) {
                current = new ArrayList<>();
                groups.add(current);
            }
            current.add(e);
        }
        return groups;
    }

    private static SnapshotOperation operation(
            int number, List<StunEvent> g, List<OperationMarker> markers, Duration gap, SnapshotOperation previous) {
        LogTimestamp first = g.getFirst().time();
        LogTimestamp last = g.getLast().time();
        List<OperationMarker> inWindow = markers.stream()
                .filter(m -> LogTimestamp.between(m.time(), first).compareTo(gap) <= 0
                        && !LogTimestamp.between(m.time(), last).isNegative())
                .toList();
        OperationKind kind;
        boolean inferred = false;
        List<String> evidence;
        List<OperationMarker> consolidate = inWindow.stream()
                .filter(m -> m.kind() == OperationKind.CONSOLIDATE)
                .toList();
        if (!consolidate.isEmpty()) {
            kind = OperationKind.CONSOLIDATE;
            evidence = consolidate.stream().map(StunAnalyzer::cite).toList();
        } else if (!inWindow.isEmpty()) {
            kind = OperationKind.CREATE;
            evidence = inWindow.stream().map(StunAnalyzer::cite).toList();
        } else {
            inferred = true;
            evidence = List.of();
            boolean afterCreate = previous != null && previous.kind() == OperationKind.CREATE;
            kind = g.size() > 1 || afterCreate ? OperationKind.CONSOLIDATE : OperationKind.CREATE;
        }
        long max = g.stream().mapToLong(StunEvent::micros).max().orElse(0);
        long total =
                DurationStats.of(g.stream().map(StunEvent::micros).toList()).total();
        return new SnapshotOperation(
                number,
                kind,
                inferred,
                first,
                last,
                g.size(),
                max,
                total,
                evidence.stream().limit(3).toList());
    }

    private static String cite(OperationMarker m) {
        return m.file() + ":" + m.line() + ": " + m.text();
    }
}
