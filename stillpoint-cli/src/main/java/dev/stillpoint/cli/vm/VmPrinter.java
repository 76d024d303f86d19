package dev.stillpoint.cli.vm;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;

/**
 * Text or JSON-lines output of the VM commands. Text: human lines on stdout, progress (bytes,
 * rate, ETA) on stderr, redrawn in place on a terminal. JSON: one object per line on stdout,
 * each with {@code message_type} (status, warning, phase, summary).
 */
final class VmPrinter {
    private static final long PROGRESS_INTERVAL_NANOS = 500_000_000L;

    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean json;
    private final boolean terminal;
    private long lastProgress;
    private long progressStart;
    private String progressItem;

    VmPrinter(PrintWriter out, PrintWriter err, boolean json) {
        this.out = out;
        this.err = err;
        this.json = json;
        this.terminal = System.console() != null;
    }

    boolean json() { return json; }

    void line(String text) {
        if (!json) {
            clearProgress();
            out.println(text);
            out.flush();
        }
    }

    void object(Map<String, Object> obj) {
        try {
            out.println(JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES).asString(obj));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void warning(String code, String message) {
        if (json) {
            object(Map.of("message_type", "warning", "code", code, "message", message));
        } else {
            clearProgress();
            err.println("warning: " + message);
            err.flush();
        }
    }

    /** Rate-limited progress of {@code item}: done of total bytes. */
    void progress(String item, long done, long total) {
        long now = System.nanoTime();
        if (!item.equals(progressItem)) {
            progressItem = item;
            progressStart = now;
            lastProgress = 0;
        }
        boolean last = total >= 0 && done >= total;
        if (!last && now - lastProgress < PROGRESS_INTERVAL_NANOS) return;
        lastProgress = now;
        double secs = Math.max(1e-3, (now - progressStart) / 1e9);
        double rate = done / secs;
        long etaSec = rate > 0 && total > done ? Math.round((total - done) / rate) : 0;
        if (json) {
            object(Map.of("message_type", "status", "item", item, "bytes_done", done, "bytes_total", total,
                    "bytes_per_second", Math.round(rate), "seconds_remaining", etaSec));
            return;
        }
        String text = String.format(Locale.ROOT, "%s: %s / %s  %s/s  ETA %s", item, bytes(done),
                total < 0 ? "?" : bytes(total), bytes((long) rate), duration(etaSec));
        if (terminal) {
            err.print("\r\033[K" + text + (last ? "\n" : ""));
        } else if (last) {
            err.println(text);
        }
        err.flush();
    }

    private void clearProgress() {
        if (terminal && !json) {
            err.print("\r\033[K");
            err.flush();
        }
    }

    static String bytes(long n) {
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

    static String duration(long seconds) {
        if (seconds < 60) return seconds + "s";
        if (seconds < 3600) return (seconds / 60) + "m" + (seconds % 60) + "s";
        return (seconds / 3600) + "h" + (seconds % 3600 / 60) + "m";
    }
}
