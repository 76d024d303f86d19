package dev.stillpoint.guest.apps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stillpoint.guest.ExitCodes;
import dev.stillpoint.guest.GuestException;
import dev.stillpoint.guest.run.QuiesceRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real PostgreSQL cluster (initdb + pg_ctl as postgres, unix socket only) quiesced by the built-in app hook. */
class PostgresQuiescerIT {
    @TempDir
    Path tmp;

    Path bin;
    Path data;
    Path sock;
    Path root;

    @BeforeEach
    void setUp() throws Exception {
        boolean required = Boolean.getBoolean("stillpoint.it.required");
        bin = pgBin();
        if (bin == null && required) throw new AssertionError("PostgreSQL server missing (apt-get install postgresql)");
        assumeTrue(bin != null, "PostgreSQL server missing");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        data = tmp.resolve("pgdata");
        sock = tmp.resolve("sock");
        Files.createDirectories(data);
        Files.createDirectories(sock);
        run("chown", "postgres:postgres", data.toString(), sock.toString());
        run(
                "runuser",
                "-u",
                "postgres",
                "--",
                bin.resolve("initdb").toString(),
                "-D",
                data.toString(),
                "-A",
                "peer",
                "--no-sync",
                "-U",
                "postgres");
        run(
                "runuser",
                "-u",
                "postgres",
                "--",
                bin.resolve("pg_ctl").toString(),
                "-D",
                data.toString(),
                "-w",
                "-t",
                "60",
                "-l",
                data.resolve("server.log").toString(),
                "-o",
                "-k " + sock + " -p 5439 -c listen_addresses='' -c fsync=off",
                "start");
        root = tmp.resolve("root");
        Files.createDirectories(root.resolve("etc/stillpoint"));
        psql("CREATE TABLE t (i int)");
    }

    @AfterEach
    void tearDown() {
        if (data != null && Files.exists(data.resolve("postmaster.pid"))) {
            quiet(
                    "runuser",
                    "-u",
                    "postgres",
                    "--",
                    bin.resolve("pg_ctl").toString(),
                    "-D",
                    data.toString(),
                    "-m",
                    "immediate",
                    "-w",
                    "stop");
        }
    }

    static Path pgBin() throws IOException {
        Path base = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(base)) return null;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(base)) {
            for (Path v : ds) if (Files.isExecutable(v.resolve("bin/pg_ctl"))) return v.resolve("bin");
        }
        return null;
    }

    String psql(String sql) throws Exception {
        return run(
                        "runuser",
                        "-u",
                        "postgres",
                        "--",
                        "psql",
                        "-X",
                        "-A",
                        "-t",
                        "-h",
                        sock.toString(),
                        "-p",
                        "5439",
                        "-d",
                        "postgres",
                        "-v",
                        "ON_ERROR_STOP=1",
                        "-c",
                        sql)
                .trim();
    }

    QuiesceRunner runner() {
        QuiesceRunner.Options o = QuiesceRunner.Options.of(root)
                .withNoFsfreeze(true)
                .withWatchdog((r, token, d) -> -1)
                .withBuiltIns(new AppQuiescers());
        return new QuiesceRunner(o, e -> {});
    }

    @Test
    void checkpointCompletesBeforeTheFreezeAndWritesResumeAfterThaw() throws Exception {
        Files.writeString(
                root.resolve("etc/stillpoint/guest.conf"), "[app \"postgresql\"]\nhost = " + sock + "\nport = 5439\n");
        psql("INSERT INTO t SELECT generate_series(1, 1000)");
        String before = psql("SELECT checkpoint_lsn FROM pg_control_checkpoint()");
        Map<String, Object> rep = runner().freeze().toMap();
        String after = psql("SELECT checkpoint_lsn FROM pg_control_checkpoint()");
        assertThat(after).as("a checkpoint ran during freeze").isNotEqualTo(before);
        @SuppressWarnings("unchecked")
        Map<String, Object> hook = ((List<Map<String, Object>>) rep.get("hooks")).get(0);
        assertThat(hook.get("name")).isEqualTo("app:postgresql");
        assertThat(hook.get("result")).isEqualTo("ok");
        assertThat(rep.get("consistency")).isEqualTo("application");
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        psql("INSERT INTO t VALUES (1)");
        assertThat(psql("SELECT count(*) FROM t")).isEqualTo("1001");
    }

    @Test
    void unreachableServerFailsTheFreezeWithTheHookNumber() throws Exception {
        Files.writeString(
                root.resolve("etc/stillpoint/guest.conf"),
                "[app \"postgresql\"]\nhost = " + sock + "\nport = 5999\ntimeoutSeconds = 20\n");
        assertThatThrownBy(() -> runner().freeze())
                .isInstanceOfSatisfying(
                        GuestException.class, e -> assertThat(ExitCodes.of(e)).isEqualTo(64));
        assertThat(runner().frozen()).isFalse();
    }

    @Test
    @SuppressWarnings("unchecked")
    void backupModeHoldsOneSessionFromFreezeToThawAndPutsTheLabelInTheReport() throws Exception {
        Files.writeString(
                root.resolve("etc/stillpoint/guest.conf"),
                "[app \"postgresql\"]\nhost = " + sock + "\nport = 5439\nmode = backup\nlabel = nightly-42\n");
        runner().freeze();
        // the session that ran pg_backup_start is still connected while frozen
        assertThat(
                        psql(
                                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_backup_start(%' AND pid <> pg_backend_pid()"))
                .isEqualTo("1");
        psql("INSERT INTO t VALUES (7)");
        Map<String, Object> rep =
                runner().thaw(QuiesceRunner.ThawKind.THAW, null).toMap();
        List<Map<String, Object>> hooks = (List<Map<String, Object>>) rep.get("hooks");
        assertThat(hooks)
                .extracting(h -> h.get("phase") + " " + h.get("result"))
                .containsExactly("freeze ok", "thaw ok");
        assertThat((String) hooks.get(1).get("output"))
                .contains("START WAL LOCATION")
                .contains("LABEL: nightly-42");
        assertThat(Files.exists(root.resolve("run/stillpoint/apps/postgresql"))).isFalse();
    }

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0)
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        return out;
    }

    static void quiet(String... cmd) {
        try {
            run(cmd);
        } catch (Exception e) {
            // best effort
        }
    }
}
