package dev.stillpoint.cli.output;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Output of the VM commands. JSON lines ({@code --json}) are written by {@link Output} alone, so
 * every command shares one contract ({@code "type"}, camelCase fields; see the
 * {@code dev.stillpoint.cli.output} package and docs/scripting.md): {@code phase}, {@code progress}
 * (a {@link ProgressPrinter} per disk), {@code warning}, the command's own types and a final
 * {@code summary}. This class keeps only the VM commands' human text: lines on stdout, warnings
 * and per-disk progress (bytes, rate, ETA) on stderr, redrawn in place on a terminal.
 */
public final class VmPrinter {
    private static final long PROGRESS_INTERVAL_NANOS = 500_000_000L;

    private final Output output;
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean terminal;
    private final Map<String, ProgressPrinter> jsonProgress = new LinkedHashMap<>();
    private long lastProgress;
    private long progressStart;
    private String progressItem;

    public VmPrinter(Output output, PrintWriter out, PrintWriter err, boolean terminal) {
        this.output = output;
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    /** For a picocli command: its out/err writers, JSON lines with {@code --json}. */
    public static VmPrinter of(CommandSpec spec, boolean json) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        return new VmPrinter(Output.of(out, err, json, false), out, err, System.console() != null);
    }

    public boolean json() {
        return output.json();
    }

    /** A human line on stdout (text mode only). */
    public synchronized void line(String text) {
        if (!json()) {
            clearProgress();
            out.println(text);
            out.flush();
        }
    }

    /** A JSON line {@code {"type": type, ...fields}} (JSON mode only). */
    public void message(String type, Map<String, ?> fields) {
        output.message(type, fields);
    }

    /** The final {@code {"type":"summary",...}} line (JSON mode only; text commands print their own lines). */
    public void summary(Map<String, ?> fields) {
        output.summary(fields, null);
    }

    /** {@code {"type":"phase","phase":..,"state":"started"}} (JSON mode only). */
    public void phaseStarted(String phase) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("phase", phase);
        m.put("state", "started");
        message("phase", m);
    }

    /** {@code {"type":"phase","phase":..,"state":"finished","ms":..}}; text: {@code "freeze      812 ms"}. */
    public void phaseFinished(String phase, long ms) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("phase", phase);
        m.put("state", "finished");
        m.put("ms", ms);
        message("phase", m);
        line(String.format(Locale.ROOT, "%-9s %6d ms", phase, ms));
    }

    /** {@code {"type":"warning","code":..,"message":..}} on stdout; text: {@code "warning: ..."} on stderr. */
    public synchronized void warning(String code, String message) {
        if (json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("code", code);
            m.put("message", message);
            message("warning", m);
        } else {
            clearProgress();
            err.println("warning: " + message);
            err.flush();
        }
    }

    /**
     * Progress of one disk: {@code done} of {@code total} bytes (-1: unknown). JSON: {@code progress}
     * lines of {@code action} (e.g. {@code "backup web1/vda"}), the repository commands' fields;
     * text: {@code "vda: 1.0 MiB / 2.0 MiB  1.0 MiB/s  ETA 5s"}.
     */
    public synchronized void progress(String action, String disk, long done, long total) {
        if (json()) {
            jsonProgress.computeIfAbsent(disk, d -> output.progress(action)).progress(done, total);
            if (total >= 0 && done >= total) diskFinished(disk);
            return;
        }
        long now = System.nanoTime();
        if (!disk.equals(progressItem)) {
            progressItem = disk;
            progressStart = now;
            lastProgress = 0;
        }
        boolean last = total >= 0 && done >= total;
        if (!last && now - lastProgress < PROGRESS_INTERVAL_NANOS) return;
        lastProgress = now;
        double secs = Math.max(1e-3, (now - progressStart) / 1e9);
        double rate = done / secs;
        long etaSec = rate > 0 && total > done ? Math.round((total - done) / rate) : 0;
        String text = String.format(
                Locale.ROOT,
                "%s: %s / %s  %s/s  ETA %s",
                disk,
                bytes(done),
                total < 0 ? "?" : bytes(total),
                bytes((long) rate),
                duration(etaSec));
        if (terminal) {
            err.print("\r\033[K" + text + (last ? "\n" : ""));
        } else if (last) {
            err.println(text);
        }
        err.flush();
    }

    /** The disk is done: its final JSON progress line (once). */
    public synchronized void diskFinished(String disk) {
        ProgressPrinter p = jsonProgress.remove(disk);
        if (p != null) p.close();
    }

    /** Ends every disk's progress still open (before the summary, also after a failure). */
    public synchronized void finishProgress() {
        for (ProgressPrinter p : jsonProgress.values()) p.close();
        jsonProgress.clear();
    }

    private void clearProgress() {
        if (terminal && !json()) {
            err.print("\r\033[K");
            err.flush();
        }
    }

    public static String bytes(long n) {
        if (n < 1024) return n + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    public static String duration(long seconds) {
        if (seconds < 60) return seconds + "s";
        if (seconds < 3600) return (seconds / 60) + "m" + (seconds % 60) + "s";
        return (seconds / 3600) + "h" + (seconds % 3600 / 60) + "m";
    }
}
