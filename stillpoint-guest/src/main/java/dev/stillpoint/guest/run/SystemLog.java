package dev.stillpoint.guest.run;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The system log, for failures that existing monitoring must see (as the platforms' own scripts do with
 * {@code logger -p user.err}): every failed or refused hook, failed freeze, failed thaw and watchdog thaw, at
 * priority {@code user.err} with tag {@value #TAG}. Written through util-linux {@code logger} (Java has no UNIX
 * datagram socket for /dev/log), which goes to /dev/log (journald or rsyslog) or to {@code socket}. Never called
 * while the runner holds a filesystem frozen; never throws, waits at most 2 s, and a missing {@code logger} only
 * loses the syslog copy (the runner's own log and report still have it).
 */
public final class SystemLog {
    public static final String TAG = "stillpoint-guest";
    private final String socket;

    /** @param socket null: logger's default (/dev/log); else the UNIX socket to send to (tests) */
    public SystemLog(String socket) {
        this.socket = socket;
    }

    public void error(String message) {
        List<String> cmd = new ArrayList<>(List.of("logger", "-p", "user.err", "-t", TAG));
        if (socket != null) cmd.addAll(List.of("-u", socket));
        cmd.add("--");
        cmd.add(message.replace('\n', ' '));
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            if (!p.waitFor(2, TimeUnit.SECONDS)) p.destroyForcibly();
        } catch (IOException e) {
            // no logger: the run's own log and report still say it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
