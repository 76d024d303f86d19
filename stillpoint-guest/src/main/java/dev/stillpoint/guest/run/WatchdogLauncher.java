package dev.stillpoint.guest.run;

import dev.stillpoint.guest.install.CdsArchive;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Arms the watchdog for a freeze; returns the watchdog's pid (or -1 when none was started). */
@FunctionalInterface
public interface WatchdogLauncher {
    long launch(Path root, String token, long deadlineEpochMillis);

    /** How long the freeze waits for its watchdog to be up ({@link Watchdog#READY}) before it goes on anyway. */
    long READY_WAIT_MILLIS = 10_000;

    /**
     * The real one: a detached JVM ({@code setsid java ... GuestMain watchdog}) that outlives the freeze command.
     * Returns once the watchdog is up ({@link #awaitReady}), so that its start-up is not inside the frozen window.
     */
    static WatchdogLauncher jvm() {
        return (root, token, deadline) -> {
            List<String> cmd = command(root, token, deadline);
            try {
                Process p = new ProcessBuilder(cmd)
                        .directory(new File("/"))
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
                awaitReady(new dev.stillpoint.guest.state.StateStore(root).dir(), token, p, READY_WAIT_MILLIS);
                return p.pid();
            } catch (IOException e) {
                return -1;
            }
        };
    }

    /**
     * Waits until {@code dir}/{@link Watchdog#READY} holds {@code token} (then removes it), the watchdog process
     * ended, or {@code maxMillis} passed; returns whether the watchdog said it is up.
     */
    static boolean awaitReady(Path dir, String token, Process watchdog, long maxMillis) {
        Path ready = dir.resolve(Watchdog.READY);
        long end = System.nanoTime() + maxMillis * 1_000_000L;
        try {
            while (true) {
                try {
                    if (java.nio.file.Files.readString(ready).equals(token)) {
                        java.nio.file.Files.deleteIfExists(ready);
                        return true;
                    }
                } catch (IOException e) {
                    // not there yet
                }
                if (!watchdog.isAlive() || System.nanoTime() - end > 0) return false;
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * {@code setsid java FLAGS -cp CP GuestMain watchdog ...}: the runner's JVM flags ({@link CdsArchive#JVM_OPTS})
     * and, when the runner runs from a jar with a CDS archive beside it, that archive (same class path as the
     * wrapper's {@code -jar}, so the JVM accepts it).
     */
    static List<String> command(Path root, String token, long deadline) {
        String cp = classPath();
        List<String> cmd = new ArrayList<>(List.of(
                "setsid",
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(CdsArchive.JVM_OPTS);
        if (!cp.contains(File.pathSeparator) && cp.endsWith(".jar")) cmd.addAll(CdsArchive.useArchive(Path.of(cp)));
        cmd.addAll(List.of(
                "-cp",
                cp,
                "dev.stillpoint.guest.cli.GuestLauncher",
                "watchdog",
                "--root",
                root.toString(),
                "--token",
                token,
                "--deadline",
                Long.toString(deadline)));
        return cmd;
    }

    /**
     * Jar(s) or class directories holding the runner, the contract module and its two libraries (one jar when shaded); found through their class files as
     * resources, so that building the command loads none of their classes (picocli is not on the freeze's hot path).
     */
    static String classPath() {
        Set<String> parts = new LinkedHashSet<>();
        for (String c : List.of(
                "dev/stillpoint/guest/run/WatchdogLauncher.class",
                "dev/stillpoint/guest/contract/GuestReport.class",
                "picocli/CommandLine.class",
                "com/fasterxml/jackson/jr/ob/JSON.class",
                "com/fasterxml/jackson/core/JsonFactory.class")) {
            String p = location(c);
            if (p != null) parts.add(p);
        }
        return String.join(File.pathSeparator, parts);
    }

    /** The jar or directory a class file resource comes from, or null. */
    private static String location(String resource) {
        ClassLoader cl = WatchdogLauncher.class.getClassLoader();
        java.net.URL u = cl != null ? cl.getResource(resource) : ClassLoader.getSystemResource(resource);
        if (u == null) return null;
        try {
            if (u.getProtocol().equals("jar")) {
                String f = u.getFile();
                int bang = f.indexOf("!/");
                return Path.of(new java.net.URI(bang >= 0 ? f.substring(0, bang) : f))
                        .toString();
            }
            if (u.getProtocol().equals("file")) {
                Path p = Path.of(u.toURI());
                for (int i = 0; i < resource.split("/").length; i++) p = p.getParent();
                return p.toString();
            }
        } catch (URISyntaxException | IllegalArgumentException e) {
            // not a file location; skip
        }
        return null;
    }
}
