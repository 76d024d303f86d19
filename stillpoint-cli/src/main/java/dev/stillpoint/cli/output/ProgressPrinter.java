package dev.stillpoint.cli.output;

import dev.stillpoint.repository.ProgressListener;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Renders byte progress of one operation: on a terminal an in-place line
 * {@code "backup: 1.2 GiB / 4.0 GiB  30%  212.4 MiB/s  ETA 0:14"} (at most 5 redraws a second);
 * with {@code --json} lines {@code {"type":"progress","action":..,"bytesDone":..,"bytesTotal":..,
 * "percent":..,"bytesPerSecond":..,"etaSeconds":..}} (at most one a second). Silent otherwise.
 * {@code total} may be -1 (unknown). Thread-safe; {@link #close()} prints the final state.
 */
public final class ProgressPrinter implements ProgressListener, AutoCloseable {
    private final Output out;
    private final String action;
    private final LongSupplier nanos;
    private final long start;
    private long lastPrint = Long.MIN_VALUE;
    private long done;
    private long total = -1;
    private boolean printed;
    private boolean closed;

    ProgressPrinter(Output out, String action, LongSupplier nanos) {
        this.out = out;
        this.action = action;
        this.nanos = nanos;
        this.start = nanos.getAsLong();
    }

    @Override
    public synchronized void progress(long done, long total) {
        if (closed) return;
        this.done = Math.max(this.done, done);
        this.total = total;
        long now = nanos.getAsLong();
        long interval = out.json() ? 1_000_000_000L : 200_000_000L;
        if (lastPrint != Long.MIN_VALUE && now - lastPrint < interval) return;
        lastPrint = now;
        print(now, false);
    }

    /** Bytes per second since the start. */
    public synchronized double rate() {
        double secs = (nanos.getAsLong() - start) / 1e9;
        return secs <= 0 ? 0 : done / secs;
    }

    private void print(long now, boolean last) {
        double secs = Math.max(1e-9, (now - start) / 1e9);
        double rate = done / secs;
        long eta = total > 0 && rate > 0 ? (long) Math.ceil((total - done) / rate) : -1;
        if (out.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("action", action);
            m.put("bytesDone", done);
            m.put("bytesTotal", total);
            if (total > 0) m.put("percent", Math.round(1000.0 * done / total) / 10.0);
            m.put("bytesPerSecond", (long) rate);
            if (eta >= 0) m.put("etaSeconds", eta);
            m.put("elapsedSeconds", Math.round(secs * 10) / 10.0);
            out.message("progress", m);
        } else if (out.terminal()) {
            StringBuilder b = new StringBuilder(action).append(": ").append(Output.bytes(done));
            if (total > 0)
                b.append(" / ")
                        .append(Output.bytes(total))
                        .append(String.format(Locale.ROOT, "  %3d%%", total == 0 ? 100 : done * 100 / total));
            b.append("  ").append(Output.bytes((long) rate)).append("/s");
            b.append(last ? "  in " + Output.duration((long) secs) : (eta >= 0 ? "  ETA " + Output.duration(eta) : ""));
            out.drawProgress(b.toString(), last);
        } else {
            return;
        }
        printed = true;
    }

    /** Prints the final state (if anything was shown, or always in JSON mode). */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (printed || out.json()) print(nanos.getAsLong(), true);
    }
}
