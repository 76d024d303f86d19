package dev.stillpoint.cli.analyze;

import dev.stillpoint.engine.diagnostics.DurationStats;
import dev.stillpoint.engine.diagnostics.ParseWarning;
import dev.stillpoint.engine.diagnostics.QosVerdict;
import dev.stillpoint.engine.diagnostics.SnapshotOperation;
import dev.stillpoint.engine.diagnostics.StunAnalysis;
import dev.stillpoint.engine.diagnostics.StunEvent;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** Text rendering of a {@link StunAnalysis}. */
final class StunTextPrinter {
    /** Seed 003: a QoS timeout above about 30 s brings problems of its own. */
    static final long LONG_QOS_SECONDS = 30;

    private static final int MAX_WARNINGS = 20;
    /** With more stuns than this, only the at-risk and failover ones are listed (up to this many). */
    static final int MAX_EVENTS = 50;

    private final PrintWriter out;
    private final boolean allEvents;

    StunTextPrinter(PrintWriter out, boolean allEvents) {
        this.out = out;
        this.allEvents = allEvents;
    }

    void print(StunAnalysis a) {
        for (StunAnalysis.FileSummary f : a.files()) {
            out.printf(
                    Locale.ROOT, "%s: %d stun line(s), %d snapshot marker line(s)%n", f.file(), f.stuns(), f.markers());
        }
        if (a.duplicatesDropped() > 0) {
            out.printf(
                    Locale.ROOT,
                    "%d stun line(s) repeated (same time, value and thread, e.g. the same file given twice) were counted once%n",
                    a.duplicatesDropped());
        }
        DurationStats s = a.stats();
        if (s == null) {
            out.println("No Checkpoint_Unstun lines found.");
            printQosWithoutStuns(a);
            printWarnings(a.warnings());
            return;
        }
        out.println();
        out.printf(
                Locale.ROOT,
                "Stun time (%d stuns): min %s, median %s, p95 %s, max %s%n",
                s.count(),
                Durations.micros(s.min()),
                Durations.micros(s.median()),
                Durations.micros(s.p95()),
                Durations.micros(s.max()));
        printOperations(a);
        printLongest(a.longest());
        if (a.qos() != null) {
            printQos(a);
        }
        out.println();
        out.printf(
                Locale.ROOT,
                "Smallest safe QoS timeout: %d s (twice the longest stun, %s, rounded up to whole seconds)%n",
                a.suggestedQosTimeoutSeconds(),
                Durations.micros(s.max()));
        if (a.suggestedQosTimeoutSeconds() > LONG_QOS_SECONDS) {
            out.printf(
                    Locale.ROOT,
                    "Note: a QoS timeout above %d s causes problems of its own; shorten the stuns instead "
                            + "(back up when I/O is low, faster storage, fewer snapshot disks).%n",
                    LONG_QOS_SECONDS);
        }
        printWarnings(a.warnings());
    }

    private void printOperations(StunAnalysis a) {
        out.println();
        out.printf(
                Locale.ROOT,
                "Snapshot operations (stuns less than %d s apart are one operation):%n",
                a.groupGapSeconds());
        for (SnapshotOperation op : a.operations()) {
            String when =
                    op.stuns() == 1 ? op.firstStunEnd().toString() : op.firstStunEnd() + " .. " + op.lastStunEnd();
            out.printf(
                    Locale.ROOT,
                    "  #%-3d %-11s %-10s %3d stun%s  longest %-10s %s%n",
                    op.number(),
                    op.kind().label(),
                    op.inferred() ? "(inferred)" : "(logged)",
                    op.stuns(),
                    op.stuns() == 1 ? " " : "s",
                    Durations.micros(op.maxMicros()),
                    when);
            for (String e : op.evidence()) {
                out.printf(Locale.ROOT, "        from %s%n", e);
            }
        }
    }

    private void printLongest(List<StunAnalysis.Entry> longest) {
        if (longest.isEmpty()) {
            return;
        }
        out.println();
        out.println("Longest stuns:");
        for (StunAnalysis.Entry e : longest) {
            printEntry(e);
        }
    }

    private void printEntry(StunAnalysis.Entry e) {
        StunEvent ev = e.event();
        String verdict = e.verdict() == null
                ? ""
                : String.format(Locale.ROOT, "%-9s ", e.verdict().label());
        out.printf(
                Locale.ROOT,
                "  %s%-10s %s  %-7s op #%d  %s:%d%n",
                verdict,
                Durations.micros(ev.micros()),
                ev.time(),
                ev.thread() == null ? "-" : ev.thread(),
                e.operation(),
                ev.file(),
                ev.line());
    }

    private void printQos(StunAnalysis a) {
        StunAnalysis.QosSummary q = a.qos();
        String timeout = Durations.seconds(q.timeoutMicros());
        out.println();
        out.printf(
                Locale.ROOT,
                "Mirror QoS timeout %s s: an idle mirror can fail over on a stun longer than %s s.%n",
                timeout,
                Durations.seconds(q.timeoutMicros() / 2));
        out.printf(Locale.ROOT, "  %d safe, %d at risk, %d failover%n", q.safe(), q.atRisk(), q.failover());
        boolean all = allEvents || a.entries().size() <= MAX_EVENTS;
        List<StunAnalysis.Entry> shown = a.entries().stream()
                .filter(e -> all || e.verdict() != QosVerdict.SAFE)
                .limit(all ? Long.MAX_VALUE : MAX_EVENTS)
                .toList();
        shown.forEach(this::printEntry);
        long hidden = a.entries().size() - shown.size();
        if (hidden > 0) {
            out.printf(
                    Locale.ROOT,
                    "  ... %d more stun(s) not listed (safe ones, and any beyond the first %d); "
                            + "--events lists all, --json has all%n",
                    hidden,
                    MAX_EVENTS);
        }
        if (q.failover() > 0) {
            out.printf(
                    Locale.ROOT, "Verdict: FAILOVER - %d stun(s) reached the %s s timeout.%n", q.failover(), timeout);
        } else if (q.atRisk() > 0) {
            out.printf(
                    Locale.ROOT,
                    "Verdict: AT RISK - %d stun(s) exceeded half of the %s s timeout.%n",
                    q.atRisk(),
                    timeout);
        } else {
            out.printf(Locale.ROOT, "Verdict: SAFE - every stun is at most half of the %s s timeout.%n", timeout);
        }
    }

    private void printQosWithoutStuns(StunAnalysis a) {
        if (a.qos() != null) {
            out.printf(
                    Locale.ROOT,
                    "Mirror QoS timeout %s s: no stuns to rate.%n",
                    Durations.seconds(a.qos().timeoutMicros()));
        }
    }

    private void printWarnings(List<ParseWarning> warnings) {
        if (warnings.isEmpty()) {
            return;
        }
        out.println();
        out.printf(Locale.ROOT, "Warnings (%d):%n", warnings.size());
        warnings.stream().limit(MAX_WARNINGS).forEach(w -> out.println("  " + w));
        if (warnings.size() > MAX_WARNINGS) {
            out.printf(Locale.ROOT, "  ... %d more (all are in --json)%n", warnings.size() - MAX_WARNINGS);
        }
    }

    static String verdictId(QosVerdict v) {
        return v.label().replace(' ', '-');
    }
}
