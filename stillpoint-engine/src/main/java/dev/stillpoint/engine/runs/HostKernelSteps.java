package dev.stillpoint.engine.runs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The host-kernel file-restore path's steps ({@code files --host-kernel}), one line each in
 * {@value #FILE} of the run's work directory, written <em>before</em> the step is taken:
 * {@code daemon PID} (the qemu-storage-daemon), {@code export FILE} (its FUSE export of one disk),
 * {@code loop DEVICE} (a loop device on an export), {@code mount DIR} (a filesystem or a bind).
 * {@link #undo(Path)} undoes them in reverse (the live run's close and the orphan recovery of a
 * killed run share it): unmount (lazily), detach the loop devices whose backing file lies in the
 * work directory, stop the daemon (SIGTERM, then SIGKILL), unmount exports a killed daemon left.
 */
public final class HostKernelSteps {
    /** The steps file in a run's work directory. */
    public static final String FILE = "host-kernel-steps";

    private final Path workDir;

    public HostKernelSteps(Path workDir) {
        this.workDir = workDir;
    }

    /** Records a step (fsynced) before it is taken. */
    public synchronized void record(String kind, String what) throws IOException {
        if (what.contains("\n")) throw new IllegalArgumentException("newline in " + what);
        try (var ch = java.nio.channels.FileChannel.open(
                workDir.resolve(FILE),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            ch.write(java.nio.ByteBuffer.wrap((kind + " " + what + "\n").getBytes(StandardCharsets.UTF_8)));
            ch.force(false);
        }
    }

    /** True when {@code workDir} holds steps of the host-kernel path. */
    public static boolean present(Path workDir) {
        return Files.isRegularFile(workDir.resolve(FILE));
    }

    /**
     * Undoes every recorded step in reverse; what is already undone is skipped.
     * @return the steps that could not be undone (empty: all done), each with its error
     */
    public static List<String> undo(Path workDir) {
        List<String> failures = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(workDir.resolve(FILE), StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            return failures;
        } catch (IOException e) {
            failures.add("cannot read " + workDir.resolve(FILE) + ": " + e.getMessage());
            return failures;
        }
        List<String> exports = new ArrayList<>();
        for (int i = lines.size() - 1; i >= 0; i--) {
            String line = lines.get(i);
            int sp = line.indexOf(' ');
            if (sp < 0) continue;
            String kind = line.substring(0, sp);
            String what = line.substring(sp + 1);
            String error = switch (kind) {
                case "mount" -> unmount(what);
                case "loop" -> detach(what, workDir);
                case "daemon" -> {
                    String loops = detachAll(workDir); // also one attached but not yet recorded
                    String stopped = stop(Long.parseLong(what), workDir);
                    yield loops != null ? loops : stopped;
                }
                case "export" -> {
                    exports.add(what);
                    yield null;
                }
                default -> null;
            };
            if (error != null) failures.add(kind + " " + what + ": " + error);
        }
        String loops = detachAll(workDir);
        if (loops != null) failures.add("loop devices: " + loops);
        for (String e : exports) { // a daemon killed hard leaves its FUSE exports behind
            if (FuseMounts.mounted(e)) {
                String error = FuseMounts.unmount(e, true);
                if (error != null) failures.add("export " + e + ": " + error);
            }
        }
        return failures;
    }

    private static String unmount(String dir) {
        if (!FuseMounts.mounted(dir)) return null;
        String error = run(List.of("umount", "--recursive", dir));
        if (error == null || !FuseMounts.mounted(dir)) return null;
        // busy (a shell inside): detach lazily; the kernel lets go once the last user leaves
        error = run(List.of("umount", "--recursive", "--lazy", dir));
        return error == null || !FuseMounts.mounted(dir) ? null : error;
    }

    private static String detach(String device, Path workDir) {
        String back = backingFile(device);
        if (back == null || !back.startsWith(workDir.toString() + "/")) return null; // gone, or reused by another
        return run(List.of("losetup", "-d", device));
    }

    /** Detaches every loop device whose backing file lies in {@code workDir}; null or the last error. */
    private static String detachAll(Path workDir) {
        String error = null;
        try (var s = Files.newDirectoryStream(Path.of("/sys/block"), "loop*")) {
            for (Path p : s) {
                String e = detach("/dev/" + p.getFileName(), workDir);
                if (e != null) error = e;
            }
        } catch (IOException e) {
            return e.getMessage();
        }
        return error;
    }

    /** The backing file of a loop device ({@code /sys/block/loopN/loop/backing_file}), or null when detached. */
    static String backingFile(String device) {
        Path f = Path.of("/sys/block", Path.of(device).getFileName().toString(), "loop", "backing_file");
        try {
            return Files.readString(f).strip();
        } catch (IOException e) {
            return null;
        }
    }

    private static String stop(long pid, Path workDir) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty()) return null;
        // a recycled pid is another program: only a daemon whose arguments name the work directory is ours
        if (HostProcesses.referencing(List.of(workDir.toString())).stream().noneMatch(f -> f.pid() == pid)) return null;
        h.get().destroy();
        if (gone(h.get(), 10_000)) return null;
        h.get().destroyForcibly();
        return gone(h.get(), 5_000) ? null : "still running after SIGKILL";
    }

    /**
     * Exited but not yet reaped: the daemonized process's parent is the init process, which here
     * reaps orphans only now and then (seconds of {@code isAlive} true after the exit).
     */
    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z';
        } catch (IOException e) {
            return true; // gone
        }
    }

    /**
     * Polls every 10 ms (the daemon is not our child: {@code onExit} would poll far more slowly,
     * seconds on every run); true once the process is gone.
     */
    private static boolean gone(ProcessHandle h, long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        try {
            while (h.isAlive() && !zombie(h.pid())) {
                if (System.nanoTime() > deadline) return false;
                Thread.sleep(10);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !h.isAlive();
        }
    }

    /** Runs a command; null, or its output when it failed. */
    static String run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return command.getFirst() + " did not return in 60 s";
            }
            return p.exitValue() == 0 ? null : out.isEmpty() ? command.getFirst() + " exit " + p.exitValue() : out;
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
