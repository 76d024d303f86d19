package dev.stillpoint.testkit.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a host program to completion with a timeout, capturing its output in temp files. */
final class ProcessRunner {

    /** A finished program: exit status and captured output. */
    record Output(List<String> command, int exitCode, String stdout, String stderr) {
        Output orThrow() {
            if (exitCode != 0) {
                throw new GuestLabException(
                        GuestLabException.Code.SCRIPT_FAILED,
                        "command " + command + " exited with " + exitCode + "; stderr: " + stderr.strip());
            }
            return this;
        }
    }

    private ProcessRunner() {}

    static Output run(List<String> command, Duration timeout) {
        Path out = null;
        Path err = null;
        Process process = null;
        try {
            out = Files.createTempFile("sp-lab-", ".out");
            err = Files.createTempFile("sp-lab-", ".err");
            process = new ProcessBuilder(command)
                    .redirectInput(
                            ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new GuestLabException(
                        GuestLabException.Code.TIMEOUT,
                        "timed out after " + timeout.toSeconds() + " s waiting for " + command + "; stderr so far: "
                                + Files.readString(err, StandardCharsets.UTF_8).strip());
            }
            return new Output(
                    command,
                    process.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new GuestLabException(GuestLabException.Code.IO, "cannot run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestLabException(GuestLabException.Code.INTERRUPTED, "interrupted while running " + command, e);
        } finally {
            if (process != null && process.isAlive()) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    private static void deleteQuietly(Path p) {
        if (p == null) {
            return;
        }
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a temp file; nothing else to do
        }
    }
}
