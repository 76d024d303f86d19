package dev.stillpoint.cli.analyze;

import dev.stillpoint.engine.diagnostics.DurationStats;
import dev.stillpoint.engine.diagnostics.FreezeLogAnalysis;
import dev.stillpoint.engine.diagnostics.FreezeWindow;
import dev.stillpoint.engine.diagnostics.ParseWarning;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** Text rendering of a {@link FreezeLogAnalysis}. */
final class FreezeLogTextPrinter {
    private static final int MAX_LISTED = 20;

    private final PrintWriter out;

    FreezeLogTextPrinter(PrintWriter out) {
        this.out = out;
    }

    void print(FreezeLogAnalysis a) {
        for (FreezeLogAnalysis.FileSummary f : a.files()) {
            out.printf(
                    Locale.ROOT,
                    "%s: %s%n",
                    f.file(),
                    f.entries() == 0
                            ? "no freeze/thaw entries found"
                            : f.entries() + " entr" + (f.entries() == 1 ? "y" : "ies") + " ("
                                    + String.join(", ", f.formats()) + ")");
        }
        out.println();
        if (a.windows().isEmpty()) {
            out.println("No freeze windows found.");
        } else {
            out.printf(Locale.ROOT, "Freeze windows (%d):%n", a.windows().size());
            int keyWidth =
                    a.windows().stream().mapToInt(w -> w.key().length()).max().orElse(0);
            for (FreezeWindow w : a.windows()) {
                printWindow(w, keyWidth);
            }
        }
        DurationStats s = a.stats();
        if (s != null) {
            out.println();
            out.printf(
                    Locale.ROOT,
                    "Frozen time (%d thawed windows): min %s, median %s, p95 %s, max %s%n",
                    s.count(),
                    Durations.millis(s.min()),
                    Durations.millis(s.median()),
                    Durations.millis(s.p95()),
                    Durations.millis(s.max()));
        }
        list("Anomalies", a.anomalies());
        list("Warnings", a.warnings());
    }

    private void printWindow(FreezeWindow w, int keyWidth) {
        String duration = w.durationMs() == null ? "-" : Durations.millis(w.durationMs());
        out.printf(
                Locale.ROOT,
                "  %-29s %-10s %-18s %-" + keyWidth + "s  %-18s  %s%s%n",
                w.frozenAt() == null ? "(no start time)" : w.frozenAt().toString(),
                duration,
                w.outcome().label(),
                w.key(),
                w.format().id(),
                w.line() > 0 ? w.file() + ":" + w.line() : w.file(),
                w.extraFreezes() > 0 ? "  (freeze logged " + (w.extraFreezes() + 1) + " times)" : "");
        for (FreezeWindow.HookRun h : w.hooks()) {
            out.printf(
                    Locale.ROOT,
                    "      hook %s %s%s exit %s %s%n",
                    h.name(),
                    h.phase() == null ? "" : h.phase(),
                    h.result() == null ? "" : " " + h.result(),
                    h.exitCode() == null ? "?" : h.exitCode(),
                    h.durationMs() == null ? "" : Durations.millis(h.durationMs()));
        }
    }

    private void list(String title, List<ParseWarning> items) {
        if (items.isEmpty()) {
            return;
        }
        out.println();
        out.printf(Locale.ROOT, "%s (%d):%n", title, items.size());
        items.stream().limit(MAX_LISTED).forEach(w -> out.println("  " + w));
        if (items.size() > MAX_LISTED) {
            out.printf(Locale.ROOT, "  ... %d more (all are in --json)%n", items.size() - MAX_LISTED);
        }
    }
}
