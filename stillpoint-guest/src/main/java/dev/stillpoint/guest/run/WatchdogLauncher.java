package dev.stillpoint.guest.run;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Arms the watchdog for a freeze; returns the watchdog's pid (or -1 when none was started). */
@FunctionalInterface
public interface WatchdogLauncher {
    long launch(Path root, String token, long deadlineEpochMillis);

    /** The real one: a detached JVM ({@code setsid java ... GuestMain watchdog}) that outlives the freeze command. */
    static WatchdogLauncher jvm() {
        return (root, token, deadline) -> {
            List<String> cmd = new ArrayList<>(List.of("setsid",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:-UsePerfData", "-Xmx48m", "-XX:TieredStopAtLevel=1", "-Xss512k",
                    "-cp", classPath(), "dev.stillpoint.guest.cli.GuestMain",
                    "watchdog", "--root", root.toString(), "--token", token, "--deadline", Long.toString(deadline)));
            try {
                Process p = new ProcessBuilder(cmd).directory(new File("/"))
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
                return p.pid();
            } catch (IOException e) {
                return -1;
            }
        };
    }

    /** Jar(s) or class directories holding the runner and its two libraries. */
    static String classPath() {
        Set<String> parts = new LinkedHashSet<>();
        for (Class<?> c : List.of(WatchdogLauncher.class, picocli.CommandLine.class,
                com.fasterxml.jackson.jr.ob.JSON.class, com.fasterxml.jackson.core.JsonFactory.class)) {
            CodeSource cs = c.getProtectionDomain().getCodeSource();
            if (cs == null) continue;
            try {
                parts.add(Path.of(cs.getLocation().toURI()).toString());
            } catch (URISyntaxException | IllegalArgumentException e) {
                // not a file location; skip
            }
        }
        return String.join(File.pathSeparator, parts);
    }
}
