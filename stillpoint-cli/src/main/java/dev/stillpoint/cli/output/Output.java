package dev.stillpoint.cli.output;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Where a command's output goes: human text, or JSON lines ({@code --json}). Writes through the
 * command's own writers so tests can capture them. Thread-safe.
 */
public final class Output {
    /** Null values are written too: a documented key is present even when it has no value. */
    public static final JSON JSON_WRITER = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);

    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean json;
    private final boolean terminal;

    private Output(PrintWriter out, PrintWriter err, boolean json, boolean terminal) {
        this.out = out;
        this.err = err;
        this.json = json;
        this.terminal = terminal;
    }

    /** For a picocli command: its out/err writers; progress is drawn only when stderr is a terminal. */
    public static Output of(CommandSpec spec, boolean json) {
        var console = System.console();
        boolean tty = console != null && console.isTerminal();
        return new Output(spec.commandLine().getOut(), spec.commandLine().getErr(), json, tty);
    }

    /** Explicit writers (tests, embedding); {@code terminal} enables in-place text progress. */
    public static Output of(PrintWriter out, PrintWriter err, boolean json, boolean terminal) {
        return new Output(out, err, json, terminal);
    }

    public boolean json() {
        return json;
    }

    /** A human line on stdout (text mode only). */
    public synchronized void text(String line) {
        if (!json) {
            out.println(line);
            out.flush();
        }
    }

    /**
     * A JSON line {@code {"type": type, ...fields}} on stdout (JSON mode only). {@code type} and the
     * field names are camelCase; a {@code null} value is printed as {@code null}.
     */
    public synchronized void message(String type, Map<String, ?> fields) {
        if (json) printJson(type, fields);
    }

    /** The command's final result: {@code {"type":"summary",...}} in JSON mode, {@code text} otherwise. */
    public synchronized void summary(Map<String, ?> fields, String text) {
        if (json) printJson("summary", fields);
        else if (text != null && !text.isEmpty()) {
            out.println(text);
            out.flush();
        }
    }

    /** A warning on stderr (both modes; JSON consumers read stdout only). */
    public synchronized void warn(String line) {
        err.println("stillpoint: warning: " + line);
        err.flush();
    }

    /** A progress printer for one long operation; close it when the operation ends. */
    public ProgressPrinter progress(String action) {
        return new ProgressPrinter(this, action, System::nanoTime);
    }

    boolean terminal() {
        return terminal;
    }

    synchronized void drawProgress(String line, boolean done) {
        err.print("\r" + line + "\u001b[K" + (done ? "\n" : ""));
        err.flush();
    }

    private void printJson(String type, Map<String, ?> fields) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.putAll(fields);
        try {
            out.println(JSON_WRITER.asString(m));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.flush();
    }

    /** {@code 1536} -> {@code "1.5 KiB"}. */
    public static String bytes(long n) {
        if (n < 1024) return n + " B";
        String[] u = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int i = -1;
        do {
            v /= 1024;
            i++;
        } while (v >= 1024 && i < u.length - 1);
        return String.format(Locale.ROOT, "%.1f %s", v, u[i]);
    }

    /** {@code 75} -> {@code "1:15"}, {@code 3700} -> {@code "1:01:40"}. */
    public static String duration(long seconds) {
        if (seconds < 0) return "?";
        long h = seconds / 3600, m = seconds / 60 % 60, s = seconds % 60;
        return h > 0
                ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s)
                : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}
