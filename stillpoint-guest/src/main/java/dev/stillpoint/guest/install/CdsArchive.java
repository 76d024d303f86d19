package dev.stillpoint.guest.install;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Startup cost of the runner JVM. Under TCG emulation (1 vCPU) JVM startup and class loading dominate the hook's
 * time, so every launch (the installed wrappers and the detached watchdog) uses {@link #JVM_OPTS}, plus an AppCDS
 * <em>dynamic</em> archive ({@code stillpoint-guest.jsa} next to the installed jar) when it exists.
 * <p>Invariants: the archive is created by {@code install} from a training run of the installed jar
 * ({@code -XX:ArchiveClassesAtExit}, hidden command {@code cds-train} on a scratch root: freeze --no-fsfreeze with
 * one hook, thaw, report, a no-op watchdog pass), written to a temporary name and moved into place, and removed by
 * {@code uninstall}. A failed training run leaves no archive and does not fail the install. The JVM checks the
 * archive against the jar (path, size, mtime) and its own build; an unusable archive (jar replaced, JDK upgraded)
 * is ignored silently ({@code -Xlog:cds=off -Xlog:cds+dynamic=off}) and the JVM starts the slow way.
 */
public final class CdsArchive {
    /** Flags of every runner launch; {@code -XX:-UsePerfData} keeps the JVM from writing /tmp on a frozen root. */
    public static final List<String> JVM_OPTS = List.of(
            "-XX:-UsePerfData",
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xss512k",
            "-Xmx96m",
            "-Xshare:auto",
            "-Xlog:cds=off",
            "-Xlog:cds+dynamic=off");
    /** Guest path of the archive (beside {@link Installer#JAR}). */
    public static final String ARCHIVE = "/usr/local/lib/stillpoint/stillpoint-guest.jsa";

    static final long TRAIN_TIMEOUT_SECONDS = 300;

    private CdsArchive() {}

    /** The archive that belongs to a jar: the same path with {@code .jsa} instead of {@code .jar}. */
    public static Path archiveFor(Path jar) {
        String n = jar.getFileName().toString();
        return jar.resolveSibling((n.endsWith(".jar") ? n.substring(0, n.length() - 4) : n) + ".jsa");
    }

    /** {@code -XX:SharedArchiveFile=...} for a jar when its archive exists and is readable; else nothing. */
    public static List<String> useArchive(Path jar) {
        Path a = archiveFor(jar);
        return Files.isRegularFile(a) && Files.isReadable(a) ? List.of("-XX:SharedArchiveFile=" + a) : List.of();
    }

    /**
     * Creates (or replaces) the archive for {@code jar} at {@code archive} with the JVM at {@code javaHome}.
     * @return null when it was written, else why not (the caller reports it; the install goes on)
     */
    static String create(Path javaHome, Path jar, Path archive) {
        Path tmp = archive.resolveSibling(archive.getFileName() + ".tmp");
        Path scratch = null;
        try {
            Files.deleteIfExists(tmp);
            scratch = Files.createTempDirectory("stillpoint-cds-");
            List<String> cmd = new ArrayList<>();
            cmd.add(javaHome.resolve("bin").resolve("java").toString());
            cmd.add("-XX:ArchiveClassesAtExit=" + tmp);
            cmd.addAll(JVM_OPTS);
            cmd.addAll(List.of("-jar", jar.toString(), "cds-train", "--root", scratch.toString()));
            Path out = scratch.resolve("train.log");
            Process p = new ProcessBuilder(cmd)
                    .directory(new File("/"))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            if (!p.waitFor(TRAIN_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                return "training run timed out after " + TRAIN_TIMEOUT_SECONDS + " s";
            }
            if (p.exitValue() != 0 || !Files.isRegularFile(tmp) || Files.size(tmp) == 0) {
                String log = Files.exists(out) ? Files.readString(out).strip() : "";
                if (log.length() > 400) log = log.substring(log.length() - 400);
                return "training run exited with " + p.exitValue()
                        + (log.isEmpty() ? "" : ": " + log.replace('\n', ' '));
            }
            Files.move(tmp, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return null;
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
            if (scratch != null) deleteTree(scratch);
        }
    }

    private static void deleteTree(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temp dir
        }
    }
}
