package dev.stillpoint.guest.fs;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A loop-mounted ext4 image for integration tests; {@link #close()} always thaws, unmounts and detaches. */
@SuppressWarnings("try")
final class LoopMount implements AutoCloseable {
    final Path image;
    final Path mountPoint;
    final String device;

    private LoopMount(Path image, Path mountPoint, String device) {
        this.image = image;
        this.mountPoint = mountPoint;
        this.device = device;
    }

    /** Skips (JUnit assumption) when a program is missing, unless -Dstillpoint.it.required=true. */
    static void requirePrograms() {
        boolean required = Boolean.getBoolean("stillpoint.it.required");
        for (String p : new String[] {"fsfreeze", "losetup", "mkfs.ext4", "mount", "umount", "dd", "setsid"}) {
            boolean found = false;
            for (String dir : new String[] {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
                if (Files.isExecutable(Path.of(dir, p))) found = true;
            }
            if (!found && required)
                throw new AssertionError("program " + p + " is missing and stillpoint.it.required=true");
            assumeTrue(found, "program " + p + " is missing");
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            if (required) throw new AssertionError("integration test needs root");
            assumeTrue(false, "needs root");
        }
    }

    static LoopMount create(Path dir, Path mountPoint) throws Exception {
        Path img = dir.resolve("sp-guest-loop.img");
        run("truncate", "-s", "48M", img.toString());
        run("mkfs.ext4", "-q", "-F", img.toString());
        String dev = output("losetup", "-f", "--show", img.toString()).trim();
        Files.createDirectories(mountPoint);
        try {
            run("mount", dev, mountPoint.toString());
        } catch (Exception e) {
            run("losetup", "-d", dev);
            throw e;
        }
        return new LoopMount(img, mountPoint, dev);
    }

    @Override
    public void close() throws Exception {
        quiet("fsfreeze", "-u", mountPoint.toString());
        // a hook or watchdog process still inside the mount makes umount fail ("target is busy"),
        // which left the loop device attached and mounted: retry, then detach lazily
        boolean unmounted = false;
        for (int i = 0; i < 10 && !unmounted; i++) {
            unmounted = quiet("umount", mountPoint.toString());
            if (!unmounted) Thread.sleep(500);
        }
        if (!unmounted) quiet("umount", "-l", mountPoint.toString());
        quiet("losetup", "-d", device);
        Files.deleteIfExists(image);
    }

    static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }

    static String output(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
            throw new IOException(String.join(" ", cmd) + " failed");
        return out;
    }

    /** Runs {@code cmd}, ignoring its output; true when it exited 0 within 30 s. */
    static boolean quiet(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false; // best effort
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
