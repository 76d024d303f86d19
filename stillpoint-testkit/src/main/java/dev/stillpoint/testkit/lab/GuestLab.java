package dev.stillpoint.testkit.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A lab guest: a throwaway Debian 12 VM (libvirt, TCG) with PostgreSQL, Java 17 and the QEMU guest
 * agent, driven through {@code scripts/lab}. Commands run in the guest through the agent.
 *
 * <pre>{@code
 * GuestLab guest = GuestLab.shared();          // boots once per JVM, removed at JVM exit
 * guest.exec("uname", "-r").orThrow().stdout();
 * guest.psql("select count(*) from t");
 * }</pre>
 */
public final class GuestLab implements AutoCloseable {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
    private static final String DEFAULT_PREFIX = "sp-lab-";
    private static final Pattern DEFAULT_NAME = Pattern.compile("sp-lab-(\\d+)");
    private static final Path LAB_DIR =
            Path.of(System.getenv().getOrDefault("STILLPOINT_LAB_DIR", "/var/lib/stillpoint/lab"));
    private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration DEFAULT_EXEC_TIMEOUT = Duration.ofMinutes(10);

    private static GuestLab shared;
    private static RuntimeException sharedFailure;

    private final Path root;
    private final String name;
    private final Duration bootToAgent;
    private final Thread shutdownHook;
    private boolean closed;

    private GuestLab(Path root, String name, Duration bootToAgent) {
        this.root = root;
        this.name = name;
        this.bootToAgent = bootToAgent;
        this.shutdownHook = new Thread(this::down, "guest-lab-down-" + name);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * The JVM-wide shared guest, booted on first use (name {@code -Dstillpoint.lab.name}, default
     * {@code sp-lab-<pid>}). A failed boot is remembered: later calls rethrow it without retrying.
     */
    public static synchronized GuestLab shared() {
        if (sharedFailure != null) {
            throw sharedFailure;
        }
        if (shared == null || shared.closed) {
            String configured = System.getProperty("stillpoint.lab.name");
            if (configured == null) {
                removeStaleSharedGuests();
            }
            String name = configured != null
                    ? configured
                    : DEFAULT_PREFIX + ProcessHandle.current().pid();
            int memory = Integer.getInteger("stillpoint.lab.memory", 1024);
            try {
                shared = boot(name, memory);
            } catch (RuntimeException e) {
                sharedFailure = e;
                throw e;
            }
        }
        return shared;
    }

    /**
     * Boots a private guest {@code name} (replacing a leftover domain of that name) and waits
     * until its agent answers. The caller closes it; a shutdown hook also removes it at JVM exit.
     */
    public static GuestLab boot(String name, int memoryMiB) {
        checkName(name);
        if (memoryMiB < 256) {
            throw new IllegalArgumentException("memoryMiB is " + memoryMiB + " (rule: at least 256)");
        }
        Path root = RepositoryRoot.find();
        LibvirtDaemons.ensureRunning();
        long timeout = Long.getLong("stillpoint.lab.bootTimeout", 300);
        long start = System.nanoTime();
        ProcessRunner.Output out = ProcessRunner.run(
                List.of(
                        root.resolve("scripts/lab").toString(),
                        "up",
                        name,
                        "--memory",
                        Integer.toString(memoryMiB),
                        "--timeout",
                        Long.toString(timeout),
                        "--replace"),
                Duration.ofSeconds(timeout).plus(Duration.ofMinutes(15))); // + image build on a cold cache
        if (out.exitCode() != 0) {
            ProcessRunner.run(List.of(root.resolve("scripts/lab").toString(), "down", name), SCRIPT_TIMEOUT);
            throw new GuestLabException(
                    GuestLabException.Code.SCRIPT_FAILED,
                    "scripts/lab up " + name + " exited with " + out.exitCode() + ": "
                            + out.stderr().strip());
        }
        System.err.print(out.stderr());
        return new GuestLab(root, name, Duration.ofNanos(System.nanoTime() - start));
    }

    /**
     * A handle on an existing domain {@code name} (for example one that {@code stillpoint restore
     * --define} created). {@link #close()} destroys and undefines it; its disks stay where they are.
     */
    public static GuestLab attach(String name) {
        checkName(name);
        LibvirtDaemons.ensureRunning();
        return new GuestLab(RepositoryRoot.find(), name, Duration.ZERO);
    }

    public String name() {
        return name;
    }

    /** The repository root the lab scripts come from. */
    public Path root() {
        return root;
    }

    /** Time from {@code scripts/lab up} to the first answered {@code guest-ping} (zero when attached). */
    public Duration bootToAgent() {
        return bootToAgent;
    }

    /** Runs {@code command} in the guest (10 min timeout). A non-zero exit is returned, not thrown. */
    public ExecResult exec(String... command) {
        return exec(DEFAULT_EXEC_TIMEOUT, List.of(command));
    }

    /** Runs {@code command} in the guest, waiting at most {@code timeout}. */
    public ExecResult exec(Duration timeout, List<String> command) {
        Objects.requireNonNull(timeout, "timeout");
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command is empty (rule: at least the program to run)");
        }
        ensureOpen();
        Path status = tempFile("exec-status");
        try {
            List<String> args = new ArrayList<>(List.of(
                    script(),
                    "exec",
                    name,
                    "--timeout",
                    Long.toString(Math.max(1, timeout.toSeconds())),
                    "--status-file",
                    status.toString(),
                    "--"));
            args.addAll(command);
            ProcessRunner.Output out = ProcessRunner.run(args, timeout.plus(Duration.ofSeconds(30)));
            String code = Files.readString(status, StandardCharsets.UTF_8).strip();
            if (code.isEmpty()) {
                throw new GuestLabException(
                        GuestLabException.Code.SCRIPT_FAILED,
                        "running " + command + " in " + name + " through the guest agent failed (scripts/lab exit "
                                + out.exitCode() + "): " + out.stderr().strip());
            }
            return new ExecResult(command, Integer.parseInt(code), out.stdout(), out.stderr());
        } catch (IOException e) {
            throw new GuestLabException(GuestLabException.Code.IO, "cannot read " + status + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(status);
        }
    }

    /** Runs {@code script} with {@code sh -c} in the guest (10 min timeout); a non-zero exit is returned. */
    public ExecResult sh(String script) {
        return exec("sh", "-c", script);
    }

    /**
     * Runs {@code virsh -q -c qemu:///system ARGS} on the host (test support may use virsh), at most
     * two minutes. A non-zero exit is returned, not thrown; {@link ExecResult#orThrow()} names it.
     */
    public static ExecResult virsh(String... args) {
        List<String> command = new ArrayList<>(
                List.of("virsh", "-q", "-c", System.getenv().getOrDefault("STILLPOINT_LAB_URI", "qemu:///system")));
        command.addAll(List.of(args));
        ProcessRunner.Output out = ProcessRunner.run(command, Duration.ofMinutes(2));
        return new ExecResult(command, out.exitCode(), out.stdout(), out.stderr());
    }

    /** Runs {@code sql} as the postgres superuser ({@code psql -Atc}); returns stdout without the final newline. */
    public String psql(String sql) {
        return exec("runuser", "-u", "postgres", "--", "psql", "-X", "-v", "ON_ERROR_STOP=1", "-Atc", sql)
                .orThrow()
                .stdout()
                .stripTrailing();
    }

    /** Copies a local file into the guest. */
    public void push(Path local, String remote) {
        ensureOpen();
        lab("push", name, local.toString(), remote);
    }

    /** Copies a guest file to {@code local}. */
    public void pull(String remote, Path local) {
        ensureOpen();
        lab("pull", name, remote, local.toString());
    }

    /** Waits until the guest agent answers {@code guest-ping}; returns how long that took. */
    public Duration waitForAgent(Duration timeout) {
        ensureOpen();
        long start = System.nanoTime();
        ProcessRunner.Output out = ProcessRunner.run(
                List.of(script(), "wait-agent", name, "--timeout", Long.toString(Math.max(1, timeout.toSeconds()))),
                timeout.plus(Duration.ofSeconds(30)));
        if (out.exitCode() != 0) {
            throw new GuestLabException(
                    GuestLabException.Code.TIMEOUT,
                    "guest agent of " + name + " did not answer within " + timeout.toSeconds() + " s: "
                            + out.stderr().strip());
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** Restarts qemu-guest-agent in the guest (for example after changing its hook) and waits for it. */
    public void restartAgent() {
        ensureOpen();
        lab("restart-agent", name);
    }

    /** Installs the stillpoint-guest jar as the guest agent's freeze hook and restarts the agent. */
    public void installRunner(Path jar) {
        ensureOpen();
        lab("install-runner", name, jar.toString());
    }

    /** Destroys and undefines the domain (with checkpoint and snapshot metadata) and removes its lab files. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
        }
        down();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException ignored) {
            // the JVM is already shutting down; the hook is running or ran
        }
    }

    private void down() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        lab("down", name);
    }

    private synchronized void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("guest " + name + " is closed");
        }
    }

    private ProcessRunner.Output lab(String... args) {
        List<String> command = new ArrayList<>();
        command.add(script());
        command.addAll(List.of(args));
        return ProcessRunner.run(command, SCRIPT_TIMEOUT).orThrow();
    }

    private String script() {
        return root.resolve("scripts/lab").toString();
    }

    /**
     * Removes shared guests ({@code sp-lab-<pid>}) left by test JVMs that died without running their
     * shutdown hook (SIGKILL, OOM): their pid no longer runs on this host.
     */
    static void removeStaleSharedGuests() {
        String[] entries = LAB_DIR.toFile().list();
        if (entries == null) {
            return;
        }
        Path root = RepositoryRoot.find();
        for (String entry : entries) {
            var m = DEFAULT_NAME.matcher(entry);
            if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                System.err.println("guest lab: removing " + entry + " (its test JVM " + m.group(1) + " is gone)");
                ProcessRunner.run(List.of(root.resolve("scripts/lab").toString(), "down", entry), SCRIPT_TIMEOUT);
            }
        }
    }

    private static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("domain name '" + name
                    + "' is invalid (rule: letters, digits, '_', '.', '-'; at most 63 characters)");
        }
    }

    private static Path tempFile(String prefix) {
        try {
            return Files.createTempFile("sp-lab-" + prefix, ".txt");
        } catch (IOException e) {
            throw new GuestLabException(GuestLabException.Code.IO, "cannot create a temp file: " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a temp file
        }
    }
}
