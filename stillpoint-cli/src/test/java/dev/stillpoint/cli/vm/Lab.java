package dev.stillpoint.cli.vm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test support: drives {@code scripts/lab} (the guest lab) and virsh. */
final class Lab {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path SCRIPT = ROOT.resolve("scripts/lab");

    record Result(int code, String out, String err) {}

    private Lab() {}

    static boolean available() { return Files.isExecutable(SCRIPT); }

    static Result run(long timeoutSec, List<String> cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile("sp-engine-lab", ".out");
        Path err = Files.createTempFile("sp-engine-lab", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeoutSec, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IOException(String.join(" ", cmd) + " did not finish within " + timeoutSec + " s");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    static String lab(long timeoutSec, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(SCRIPT.toString()));
        cmd.addAll(List.of(args));
        Result r = run(timeoutSec, cmd);
        if (r.code() != 0) throw new IOException("lab " + String.join(" ", args) + " exited " + r.code() + ": " + r.err());
        return r.out();
    }

    /** Runs a shell command in the guest; returns its stdout (fails on non-zero exit). */
    static String sh(String domain, String script) throws IOException, InterruptedException {
        return lab(600, "exec", domain, "--", "sh", "-c", script);
    }

    static String virsh(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("virsh", "-q", "-c", "qemu:///system"));
        cmd.addAll(List.of(args));
        Result r = run(120, cmd);
        if (r.code() != 0) throw new IOException("virsh " + String.join(" ", args) + " exited " + r.code() + ": " + r.err());
        return r.out();
    }

    static void removeDomain(String name) {
        try {
            run(60, List.of("virsh", "-q", "-c", "qemu:///system", "destroy", name));
            run(60, List.of("virsh", "-q", "-c", "qemu:///system", "undefine", name, "--checkpoints-metadata",
                    "--snapshots-metadata"));
        } catch (IOException | InterruptedException ignored) {
            // best effort in cleanup
        }
    }
}
