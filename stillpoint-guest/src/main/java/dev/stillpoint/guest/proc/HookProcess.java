package dev.stillpoint.guest.proc;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one command in its own session/process group ({@code setsid}), stdin from /dev/null, stdout+stderr to a
 * file (never a pipe: a chatty hook cannot block, and a daemon it leaves behind cannot hold our caller's pipe).
 * On timeout the whole process group is killed with SIGKILL, plus any descendant that left the group.
 */
public final class HookProcess {
    /** Result of one run. exitCode is -1 when timed out or not started. */
    public static final class Outcome {
        public final int exitCode;
        public final boolean timedOut;
        public final String notStarted;
        public final long durationMs;
        public final String output;

        Outcome(int exitCode, boolean timedOut, String notStarted, long durationMs, String output) {
            this.exitCode = exitCode;
            this.timedOut = timedOut;
            this.notStarted = notStarted;
            this.durationMs = durationMs;
            this.output = output;
        }
    }

    static final int OUTPUT_TAIL = 2048;

    private HookProcess() {}

    public static Outcome run(List<String> argv, long timeoutMillis, Path scratchDir) {
        long t0 = System.nanoTime();
        List<String> cmd = new ArrayList<>();
        cmd.add("setsid");
        cmd.addAll(argv);
        Path out = null;
        try {
            Files.createDirectories(scratchDir);
            out = Files.createTempFile(scratchDir, "hook-", ".out");
            Process p = new ProcessBuilder(cmd)
                    .directory(new File("/"))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            boolean done = p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS);
            if (!done) {
                killGroup(p.toHandle());
                p.waitFor(10, TimeUnit.SECONDS);
                return new Outcome(-1, true, null, ms(t0), tail(out));
            }
            return new Outcome(p.exitValue(), false, null, ms(t0), tail(out));
        } catch (IOException e) {
            return new Outcome(-1, false, e.getMessage(), ms(t0), "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(-1, false, "interrupted", ms(t0), "");
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // scratch file
                }
            }
        }
    }

    /** SIGKILL to the process group led by {@code leader}, then to every descendant seen before the kill. */
    static void killGroup(ProcessHandle leader) {
        List<ProcessHandle> desc = new ArrayList<>();
        leader.descendants().forEach(desc::add);
        try {
            Process k = new ProcessBuilder("kill", "-KILL", "--", "-" + leader.pid())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            k.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // fall through to per-process kill
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        leader.destroyForcibly();
        for (ProcessHandle h : desc) h.destroyForcibly();
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private static String tail(Path f) {
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "r")) {
            long len = raf.length();
            long from = Math.max(0, len - OUTPUT_TAIL);
            byte[] b = new byte[(int) (len - from)];
            raf.seek(from);
            raf.readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
