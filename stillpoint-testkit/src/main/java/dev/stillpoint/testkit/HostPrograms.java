package dev.stillpoint.testkit;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The integration-test policy for host programs, in one place: an IT skips when a program it
 * runs is missing, unless {@code -Dstillpoint.it.required=true} (CI), where that is a failure.
 * (stillpoint-guest cannot use this class: the testkit depends on it.)
 */
public final class HostPrograms {
    private static final long RUN_LIMIT_MINUTES = 10;

    private HostPrograms() {}

    /** Skips the test (or fails it when required) unless every program is on PATH, /usr/sbin or /sbin. */
    public static void require(String... programs) {
        List<String> missing = new ArrayList<>();
        for (String p : programs) {
            if (!onPath(p)) missing.add(p);
        }
        if (missing.isEmpty()) return;
        String message = "programs missing on this host: " + missing;
        if (Boolean.getBoolean("stillpoint.it.required")) {
            throw new AssertionError(message + " (stillpoint.it.required=true forbids skipping)");
        }
        Assumptions.abort(message);
    }

    /** True when {@code program} is executable in a PATH directory, /usr/sbin or /sbin. */
    public static boolean onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin" + File.pathSeparator
                + "/sbin";
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) return true;
        }
        return false;
    }

    /** Runs a host command (stderr merged), fails unless it exits 0 within 10 minutes; returns its output. */
    public static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(RUN_LIMIT_MINUTES, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(
                    String.join(" ", command) + " did not finish within " + RUN_LIMIT_MINUTES + " min");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + p.exitValue() + ": " + out);
        }
        return out;
    }

    /**
     * Creates a qcow2 image of {@code size} (qemu-img's syntax, e.g. "64M") and writes into it
     * with qemu-io commands (e.g. "write -P 0x11 0 1M"), if any.
     */
    public static void qcow2(Path image, String size, String... qemuIoCommands) throws Exception {
        run("qemu-img", "create", "-q", "-f", "qcow2", image.toString(), size);
        if (qemuIoCommands.length > 0) qemuIo(image, qemuIoCommands);
    }

    /** Runs qemu-io commands (each one {@code -c}) on a qcow2 image. */
    public static void qemuIo(Path image, String... commands) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(image.toString());
        run(cmd.toArray(String[]::new));
    }
}
