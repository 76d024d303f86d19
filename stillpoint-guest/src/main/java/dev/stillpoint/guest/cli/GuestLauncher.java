package dev.stillpoint.guest.cli;

import java.io.PrintWriter;

/**
 * Main class of the runner jar and of the watchdog JVM. It names no picocli type in its signatures (the JVM's
 * launcher reflects over the main class's methods, which would load picocli), tries {@link FastPath} first and
 * hands anything else to {@link GuestMain#commandLine()}.
 */
public final class GuestLauncher {
    private GuestLauncher() {}

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        Integer fast = FastPath.run(args, out, err, dev.stillpoint.guest.run.WatchdogLauncher.jvm());
        if (fast != null) {
            out.flush();
            err.flush();
            System.exit(fast);
        }
        System.exit(GuestMain.commandLine().execute(args));
    }
}
