package dev.stillpoint.guest.apps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stillpoint.guest.ExitCodes;
import dev.stillpoint.guest.GuestException;
import dev.stillpoint.guest.run.QuiesceRunner;
import dev.stillpoint.guest.state.ReportStore;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real MariaDB server (own datadir and socket, no networking) quiesced by the built-in mysql app hook. */
class MariadbQuiescerIT {
    @TempDir
    Path tmp;

    Path data;
    Path sock;
    Path root;
    Process server;

    @BeforeEach
    void setUp() throws Exception {
        boolean required = Boolean.getBoolean("stillpoint.it.required");
        boolean have = Files.isExecutable(Path.of("/usr/sbin/mariadbd"))
                && Files.isExecutable(Path.of("/usr/bin/mariadb-install-db"));
        if (!have && required) throw new AssertionError("MariaDB server missing (apt-get install mariadb-server)");
        assumeTrue(have, "MariaDB server missing");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        data = tmp.resolve("data");
        Files.createDirectories(data);
        root = tmp.resolve("root");
        Files.createDirectories(root.resolve("etc/stillpoint"));
        Files.createDirectories(root.resolve("run/mysqld"));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        sock = root.resolve("run/mysqld/mysqld.sock");
        PostgresQuiescerIT.run(
                "chown",
                "mysql:mysql",
                data.toString(),
                tmp.toString(),
                root.resolve("run/mysqld").toString());
        PostgresQuiescerIT.run(
                "mariadb-install-db",
                "--no-defaults",
                "--datadir=" + data,
                "--user=mysql",
                "--auth-root-authentication-method=socket",
                "--skip-test-db");
        server = new ProcessBuilder(
                        "/usr/sbin/mariadbd",
                        "--no-defaults",
                        "--datadir=" + data,
                        "--socket=" + sock,
                        "--skip-networking",
                        "--user=mysql",
                        "--pid-file=" + tmp.resolve("mariadb.pid"),
                        "--innodb-buffer-pool-size=16M")
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("server.log").toFile())
                .start();
        for (int i = 0; i < 300 && !Files.exists(sock); i++) Thread.sleep(100);
        assertThat(sock).as("server socket").exists();
        sql("CREATE DATABASE d; CREATE TABLE d.t (i int) ENGINE=InnoDB; CREATE TABLE d.t2 (i int) ENGINE=InnoDB;");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.destroy();
            if (!server.waitFor(30, TimeUnit.SECONDS)) server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    String sql(String s) throws Exception {
        return PostgresQuiescerIT.run("mysql", "--no-defaults", "--socket=" + sock, "-N", "-B", "-e", s)
                .trim();
    }

    /** Runs an INSERT in its own client; returns whether it finished within {@code millis}. */
    boolean insertFinishes(String table, long millis) throws Exception {
        Process p = new ProcessBuilder(
                        "mysql", "--no-defaults", "--socket=" + sock, "-e", "INSERT INTO " + table + " VALUES (1)")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        boolean done = p.waitFor(millis, TimeUnit.MILLISECONDS);
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        return done && p.exitValue() == 0;
    }

    QuiesceRunner runner() {
        QuiesceRunner.Options o = QuiesceRunner.Options.of(root)
                .withNoFsfreeze(true)
                .withWatchdog((r, token, d) -> -1)
                .withBuiltIns(new AppQuiescers());
        return new QuiesceRunner(o, e -> {});
    }

    void config(String extra) throws IOException {
        Files.writeString(
                root.resolve("etc/stillpoint/guest.conf"),
                "[app \"mariadb\"]\nsocket = /run/mysqld/mysqld.sock\n" + extra);
    }

    @Test
    void writesBlockWhileFrozenAndResumeAfterThaw() throws Exception {
        config("");
        Map<String, Object> rep = runner().freeze().toMap();
        assertThat(rep.get("consistency")).isEqualTo("application");
        assertThat(insertFinishes("d.t", 1500))
                .as("INSERT finished while the global read lock is held")
                .isFalse();
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(insertFinishes("d.t", 10_000)).as("INSERT after thaw").isTrue();
        assertThat(Files.exists(root.resolve("run/stillpoint/apps/mariadb"))).isFalse();
    }

    @Test
    void hungLockAcquisitionTimesOutAndLeavesNoLockBehind() throws Exception {
        config("lockWaitSeconds = 2\n");
        // another session holds a write lock: FLUSH TABLES WITH READ LOCK must wait for it
        Process holder = new ProcessBuilder("mysql", "--no-defaults", "--socket=" + sock)
                .redirectErrorStream(true)
                .redirectOutput(new File("/dev/null"))
                .start();
        OutputStream in = holder.getOutputStream();
        in.write("LOCK TABLES d.t WRITE; SELECT SLEEP(60);\n".getBytes(StandardCharsets.UTF_8));
        in.flush();
        Thread.sleep(500);
        try {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> runner().freeze())
                    .isInstanceOfSatisfying(
                            GuestException.class,
                            e -> assertThat(ExitCodes.of(e)).isEqualTo(64));
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(15_000);
            @SuppressWarnings("unchecked")
            Map<String, Object> hook = ((java.util.List<Map<String, Object>>)
                            dev.stillpoint.guest.Reports.map(new ReportStore(root).read())
                                    .get("hooks"))
                    .get(0);
            assertThat((String) hook.get("output")).contains("Lock wait timeout");
            assertThat(insertFinishes("d.t2", 5_000))
                    .as("no global read lock left behind")
                    .isTrue();
        } finally {
            holder.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void killedRunnerReleasesTheLockThroughTheWatchdog() throws Exception {
        Path pid = tmp.resolve("hang.pid");
        config("[app \"hang\"]\ntype = command\nfreeze = echo $$ > " + pid + "; exec sleep 300\n");
        Process runner = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-XX:-UsePerfData",
                        "-cp",
                        System.getProperty("java.class.path"),
                        "dev.stillpoint.guest.cli.GuestMain",
                        "freeze",
                        "--root",
                        root.toString(),
                        "--no-fsfreeze")
                .redirectErrorStream(true)
                .redirectOutput(new File("/dev/null"))
                .start();
        long hang = -1;
        try {
            for (int i = 0; i < 300 && !Files.exists(pid); i++) Thread.sleep(50);
            assertThat(pid).exists();
            hang = Long.parseLong(Files.readString(pid).trim());
            long watchdog =
                    new dev.stillpoint.guest.state.StateStore(root).load().watchdogPid();
            assertThat(insertFinishes("d.t", 1000))
                    .as("locked while the runner hangs in the next hook")
                    .isFalse();
            runner.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            assertThat(insertFinishes("d.t", 20_000))
                    .as("watchdog unlocked after the runner died")
                    .isTrue();
            for (int i = 0;
                    i < 100
                            && ProcessHandle.of(watchdog)
                                    .map(ProcessHandle::isAlive)
                                    .orElse(false);
                    i++) Thread.sleep(100);
            assertThat(dev.stillpoint.guest.Reports.map(new ReportStore(root).read())
                            .get("result"))
                    .isEqualTo("thawed-by-watchdog");
        } finally {
            runner.destroyForcibly();
            if (hang > 0) ProcessHandle.of(hang).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
