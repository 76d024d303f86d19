package dev.stillpoint.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.cli.Main;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.RepositoryOptions;
import dev.stillpoint.testkit.lab.GuestLab;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Chaos on the shared lab guest: kill -9 of {@code stillpoint backup} at each phase boundary and in
 * the middle of the copy, of {@code restore} and of {@code image backup}, and a restart of
 * libvirtd during a backup. After each, the next run succeeds (it undoes the dead run's libvirt
 * job, checkpoint, work directory and processes first); at the end the repository checks clean
 * with all data read, no job, orphan checkpoint, qemu-nbd or work file remains, and the catalog
 * records the dead runs as interrupted. A second backup of a domain while one runs is refused (27).
 */
class CrashRecoveryE2EIT {
    static Path WORK;
    static GuestLab guest;
    static Path repo;
    static Path state;

    @BeforeAll
    static void setUp() throws Exception {
        guest = E2eGuest.shared();
        WORK = E2eGuest.workDir(BackupE2EIT.LAB_DIR, "crash");
        repo = WORK.resolve("repo");
        Repositories.init(repo, RepositoryOptions.unencrypted()).close();
        state = WORK.resolve("state");
    }

    @AfterAll
    static void tearDown() {
        E2eGuest.removeWorkDir(WORK);
    }

    /** Runs the CLI in this JVM; returns the exit code, stdout and stderr. */
    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    record Result(int code, String out, String err) {
        Result ok(String what) {
            assertThat(code).as(what + "\n" + err + out).isZero();
            return this;
        }
    }

    /** Starts the CLI in a JVM of its own (so it can be killed), JSON lines on stdout. */
    static Process child(String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-Xmx192m",
                "-cp",
                System.getProperty("java.class.path"),
                "-Dstillpoint.connector=" + System.getProperty("stillpoint.connector"),
                "-Dstillpoint.stateDir=" + state,
                "dev.stillpoint.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.appendTo(
                        WORK.resolve("children.err").toFile()))
                .start();
    }

    /** Reads the child's JSON lines until one matches, then kill -9; false when it ended first. */
    static boolean killWhen(Process p, Predicate<String> line) throws Exception {
        return killWhen(p, line, 0);
    }

    /** As {@link #killWhen(Process, Predicate)}, {@code delayMs} after the matching line (a random point of a phase). */
    static boolean killWhen(Process p, Predicate<String> line, long delayMs) throws Exception {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String l;
            while ((l = r.readLine()) != null) {
                if (line.test(l)) {
                    if (delayMs > 0) {
                        Thread.sleep(delayMs);
                        if (!p.isAlive()) return false;
                    }
                    p.toHandle().destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
                    p.waitFor(30, TimeUnit.SECONDS);
                    return true;
                }
            }
        }
        p.waitFor(60, TimeUnit.SECONDS);
        return false;
    }

    static Predicate<String> phase(String name) {
        return l ->
                l.contains("\"type\":\"phase\"") && l.contains("\"phase\":\"" + name + "\"") && l.contains("started");
    }

    static String backup() {
        return run(
                        "backup",
                        guest.name(),
                        "--repo",
                        repo.toString(),
                        "--work-dir",
                        WORK.resolve("w").toString(),
                        "--json")
                .ok("backup after a crash")
                .out();
    }

    @Test
    void killedRunsNeverBlockTheNextOne() throws Exception {
        List<String> before = checkpoints(); // other tests' repositories may have theirs on the shared guest
        backup(); // the chain's first point
        String[] killAt = {"preflight", "freeze", "begin", "thaw", "copy", "copy-random", "end"};
        long seed = System.nanoTime();
        java.util.Random random = new java.util.Random(seed);
        int killed = 0;
        for (String ph : killAt) {
            Process p = child(
                    "backup",
                    guest.name(),
                    "--repo",
                    repo.toString(),
                    "--work-dir",
                    WORK.resolve("w").toString(),
                    "--full",
                    "--json");
            Predicate<String> when = ph.startsWith("copy") ? l -> l.contains("\"type\":\"progress\"") : phase(ph);
            long delay = ph.equals("copy-random") ? 50 + random.nextInt(600) : 0;
            if (delay > 0)
                System.out.printf("crash e2e: copy-random kills %d ms into the copy (seed %d)%n", delay, seed);
            if (killWhen(p, when, delay)) killed++;
            String out = backup();
            System.out.printf(
                    "crash e2e: killed at %s; next backup ok%s%n",
                    ph,
                    out.contains("orphan-recovered")
                            ? " after recovering: "
                                    + out.lines()
                                            .filter(x -> x.contains("orphan"))
                                            .map(x -> x.replaceAll(".*\"message\":\"", "")
                                                    .replaceAll("\".*", ""))
                                            .toList()
                            : "");
        }
        assertThat(killed).as("kills that landed before their run ended").isGreaterThanOrEqualTo(4);

        // a second backup while one runs is refused with its own code; the running one is not touched
        Process running = child(
                "backup",
                guest.name(),
                "--repo",
                repo.toString(),
                "--work-dir",
                WORK.resolve("w").toString(),
                "--full",
                "--json");
        try (BufferedReader r =
                new BufferedReader(new InputStreamReader(running.getInputStream(), StandardCharsets.UTF_8))) {
            String l;
            while ((l = r.readLine()) != null && !l.contains("\"type\":\"progress\"")) {
                // until the copy runs
            }
            Result refused = run("backup", guest.name(), "--repo", repo.toString(), "--json");
            assertThat(refused.code()).as(refused.err()).isEqualTo(27);
            assertThat(refused.err()).contains("is busy");
            while (r.readLine() != null) {
                // let it finish
            }
        }
        assertThat(running.waitFor()).as("the running backup was not disturbed").isZero();

        // libvirtd restarted during the copy: the run reconnects to end its job, or a later run does
        Process p = child(
                "backup",
                guest.name(),
                "--repo",
                repo.toString(),
                "--work-dir",
                WORK.resolve("w").toString(),
                "--full",
                "--json");
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String l;
            while ((l = r.readLine()) != null && !l.contains("\"type\":\"progress\"")) {
                // until the copy runs
            }
            restartLibvirtd();
            while (r.readLine() != null) {
                // until it ends
            }
        }
        int restartExit = p.waitFor();
        System.out.println(
                "crash e2e: backup across a libvirtd restart exited " + restartExit + "; children's stderr:\n"
                        + Files.readString(WORK.resolve("children.err"))
                                .lines()
                                .filter(x -> x.contains("error"))
                                .reduce("", (a, b) -> a + "  " + b + "\n"));
        assertThat(restartExit).isIn(0, 22);
        backup();

        // restore and image backup, killed mid-copy; a rerun with the same arguments succeeds
        String last = lastCompleteId();
        Path restoreTo = WORK.resolve("restored");
        killWhen(
                child("restore", last, "--repo", repo.toString(), "--to", restoreTo.toString(), "--json"),
                l -> l.contains("\"type\":\"progress\""));
        run("restore", last, "--repo", repo.toString(), "--to", restoreTo.toString(), "--json")
                .ok("restore after a crash");
        Path raw = WORK.resolve("image.raw");
        Files.write(raw, new byte[0]);
        try (var ch = java.nio.channels.FileChannel.open(raw, java.nio.file.StandardOpenOption.WRITE)) {
            byte[] block = new byte[1 << 20];
            java.util.Random rnd = new java.util.Random(7);
            for (int i = 0; i < 384; i++) {
                rnd.nextBytes(block);
                ch.write(java.nio.ByteBuffer.wrap(block));
            }
        }
        killWhen(
                child("image", "backup", "--repo", repo.toString(), "--name", "crash-image", raw.toString(), "--json"),
                l -> l.contains("\"type\":\"progress\""));
        run("image", "backup", "--repo", repo.toString(), "--name", "crash-image", raw.toString(), "--json")
                .ok("image backup after a crash");

        // nothing left behind, the repository is whole, the catalog says what happened
        run("check", "--repo", repo.toString(), "--read-data").ok("check --read-data");
        String job = GuestLab.virsh("domjobinfo", guest.name()).orThrow().stdout();
        assertThat(job).as("no libvirt job").containsPattern("Job type:\\s+None");
        List<String> ours = new ArrayList<>(checkpoints());
        ours.removeAll(before);
        assertThat(ours)
                .as("of this repository's checkpoints only the chain tip is left")
                .hasSize(1);
        assertThat(ProcessHandle.allProcesses()
                        .map(h -> h.info().commandLine().orElse(""))
                        .filter(c -> c.contains("qemu-nbd") || c.contains("qemu-img"))
                        .filter(c -> c.contains(WORK.toString())))
                .as("no qemu-nbd or qemu-img of a dead run")
                .isEmpty();
        try (var s = Files.list(WORK.resolve("w"))) {
            assertThat(s.toList()).as("no work directory left").isEmpty();
        }
        try (var s = Files.list(state.resolve("runs"))) {
            assertThat(s.map(x -> x.getFileName().toString()))
                    .as("no run journal left")
                    .noneMatch(n -> n.startsWith("run-"));
        }
        int interrupted = 0;
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + repo.resolve("catalog.db"));
                var rs =
                        c.createStatement().executeQuery("SELECT status, error FROM backups WHERE status = 'failed'")) {
            while (rs.next()) if (rs.getString(2) != null && rs.getString(2).startsWith("interrupted")) interrupted++;
        }
        assertThat(interrupted).as("dead backups recorded as interrupted").isGreaterThanOrEqualTo(killed - 1);
    }

    static List<String> checkpoints() {
        return GuestLab.virsh("checkpoint-list", guest.name(), "--name")
                .orThrow()
                .stdout()
                .lines()
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    static String lastCompleteId() throws Exception {
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + repo.resolve("catalog.db"));
                var rs = c.createStatement()
                        .executeQuery(
                                "SELECT id FROM backups WHERE status = 'complete' ORDER BY started_at DESC LIMIT 1")) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    static void restartLibvirtd() throws Exception {
        new ProcessBuilder(
                        "sh",
                        "-c",
                        "pkill -x libvirtd; for i in $(seq 50); do pgrep -x libvirtd >/dev/null || break;"
                                + " sleep 0.1; done; libvirtd -d")
                .inheritIO()
                .start()
                .waitFor();
        for (int i = 0; i < 100; i++) {
            if (GuestLab.virsh("list", "--name").exitCode() == 0) return;
            Thread.sleep(200);
        }
        throw new AssertionError("libvirtd did not come back");
    }
}
