package dev.stillpoint.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.cli.Main;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.RepositoryOptions;
import dev.stillpoint.testkit.S3Proxy;
import dev.stillpoint.testkit.lab.GuestLab;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The main job end to end on a real libvirt guest (the JVM's shared lab guest, {@link E2eGuest}):
 * full backup while PostgreSQL inserts rows, writes, incremental backup reading about the dirty
 * bytes, restore of both points as new domains, boot, the database holds every row committed before
 * the freeze, the guest's hook log shows freeze then thaw. The repository is an encrypted one in a
 * bucket of a real S3 server (s3proxy, its own process): backups go straight off-host and both
 * points are restored from the bucket (local repositories: the other e2e tests and the demo).
 */
class BackupE2EIT {
    static final Path LAB_DIR = Path.of(System.getenv().getOrDefault("STILLPOINT_LAB_DIR", "/var/lib/stillpoint/lab"));
    static final String R1 = E2eGuest.extraDomain("r1");
    static final String R2 = E2eGuest.extraDomain("r2");
    static final Path WORK =
            LAB_DIR.resolve("sp-e2e-work-" + ProcessHandle.current().pid());
    static GuestLab guest;
    /** The backups go straight into a bucket of a real S3 server (issue 16: off-host from the first backup on). */
    static S3Proxy s3;

    @BeforeAll
    static void requireLab() throws Exception {
        guest = E2eGuest.shared();
        E2eGuest.removeLeftoversOfDeadJvms(LAB_DIR);
        removeLeftovers();
        Files.createDirectories(WORK);
        // QEMU (libvirt-qemu) opens the restored disks here
        Files.setPosixFilePermissions(WORK, PosixFilePermissions.fromString("rwxr-xr-x"));
        s3 = S3Proxy.start(WORK.resolve("s3"));
        s3.createBucket("e2e");
        s3.useInThisJvm();
    }

    @AfterAll
    static void cleanup() throws InterruptedException {
        System.clearProperty("stillpoint.connector");
        if (s3 != null) s3.close();
        if (guest != null) removeLeftovers();
    }

    /** Destroys and undefines the restored domains (when defined) and removes their disks. */
    static void removeLeftovers() {
        for (String restored : new String[] {R1, R2}) {
            try (GuestLab domain = GuestLab.attach(restored)) {
                // close(): scripts/lab down, which succeeds when the domain does not exist
            }
        }
        E2eGuest.deleteTree(WORK);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> cli(String... args) throws Exception {
        String[] lines = cliLines(args).strip().split("\n");
        return (Map<String, Object>) JSON.std.anyFrom(lines[lines.length - 1]);
    }

    /** The whole stdout of a successful run. */
    static String cliLines(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        assertThat(cl.execute(args))
                .as("stillpoint " + String.join(" ", args) + "\n" + err + out)
                .isZero();
        return out.toString();
    }

    static long psqlLong(GuestLab g, String sql) {
        return Long.parseLong(g.psql(sql).strip());
    }

    static String sh(GuestLab g, String script) {
        return g.sh(script).orThrow().stdout();
    }

    @Test
    void fullWhileDatabaseWritesThenIncrementalThenRestoreBothPoints() throws Exception {
        Path runnerJar = guest.root().resolve("stillpoint-guest/target/stillpoint-guest.jar");
        assertThat(runnerJar)
                .as("stillpoint-guest jar (./mvnw -pl stillpoint-guest package)")
                .isRegularFile();
        guest.installRunner(runnerJar); // the product path: scripts/lab install-runner
        Path res = Path.of("src/test/resources/e2e").toAbsolutePath();
        sh(guest, "mkdir -p /etc/qemu/fsfreeze-hook.d");
        guest.push(res.resolve("10-postgres-checkpoint"), "/etc/qemu/fsfreeze-hook.d/10-postgres-checkpoint");
        guest.push(res.resolve("workload.sh"), "/root/workload.sh");
        sh(guest, "chmod 755 /etc/qemu/fsfreeze-hook.d/10-postgres-checkpoint; rm -f /var/log/sp-e2e-hook.log");
        waitForPostgres(guest);
        sh(
                guest,
                "systemctl stop sp-workload 2>/dev/null; systemd-run --quiet --collect --unit=sp-workload sh /root/workload.sh; sleep 5");

        // an encrypted repository in the bucket; the catalog on this host (as on any host backing up into it)
        String repo = s3.location("e2e", "vms");
        Repositories.init(
                        repo,
                        RepositoryOptions.encrypted("e2e pass".toCharArray()).withKdf(64, 1))
                .close();
        String pw = Files.writeString(WORK.resolve("pw"), "e2e pass\n").toString();
        String catalog = WORK.resolve("catalog.db").toString();
        long committedBeforeBackup = psqlLong(guest, "SELECT max(id) FROM t");
        assertThat(committedBeforeBackup).as("workload is inserting").isPositive();

        Map<String, Object> full =
                cli("backup", guest.name(), "--repo", repo, "--password-file", pw, "--catalog", catalog, "--json");
        long rowsAfterFull = psqlLong(guest, "SELECT max(id) FROM t");
        assertThat(full).containsEntry("mode", "full").containsEntry("consistency", "application");
        assertThat(((Number) full.get("freezeWindowMs")).longValue()).isPositive();
        // issue 17: the guest's I/O-frozen window (qemu-ga's FIFREEZE..FITHAW, bracketed by the hook script's
        // clock) is there and smaller than the host's freeze window, which holds the hook JVMs' start-up
        assertThat(full.get("ioFrozenBy")).as("%s", full).isEqualTo("hook-script");
        assertThat(((Number) full.get("ioFrozenMs")).longValue())
                .as("%s", full)
                .isPositive()
                .isLessThan(((Number) full.get("freezeWindowMs")).longValue());
        assertThat(rowsAfterFull).as("workload kept running during the backup").isGreaterThan(committedBeforeBackup);

        sh(
                guest,
                "systemctl stop sp-workload; sleep 1; dd if=/dev/urandom of=/root/inc.bin bs=1M count=32 status=none; sync");
        String sum = sh(guest, "sha256sum /root/inc.bin | cut -d' ' -f1").strip();
        String cp = (String) full.get("checkpoint");
        String cpXml = GuestLab.virsh("checkpoint-dumpxml", guest.name(), cp, "--size")
                .orThrow()
                .stdout();
        Matcher m = Pattern.compile("<disk name='vda'[^>]*size='(\\d+)'").matcher(cpXml);
        assertThat(m.find()).as(cpXml).isTrue();
        long dirtyEstimate = Long.parseLong(m.group(1));

        Map<String, Object> inc =
                cli("backup", guest.name(), "--repo", repo, "--password-file", pw, "--catalog", catalog, "--json");
        assertThat(inc).containsEntry("mode", "incremental").containsEntry("parentBackup", full.get("backupId"));
        long incRead = ((Number) inc.get("bytesRead")).longValue();
        long fullRead = ((Number) full.get("bytesRead")).longValue();
        System.out.printf(
                "e2e: full read %d B of %s B in %s ms (freeze window %s ms); incremental read %d B, "
                        + "libvirt dirty estimate %d B, in %s ms (freeze window %s ms)%n",
                fullRead,
                full.get("diskSize"),
                full.get("durationMs"),
                full.get("freezeWindowMs"),
                incRead,
                dirtyEstimate,
                inc.get("durationMs"),
                inc.get("freezeWindowMs"));
        assertThat(incRead)
                .as("incremental reads about the dirty bytes")
                .isGreaterThanOrEqualTo(32L << 20)
                .isBetween((long) (dirtyEstimate * 0.8), (long) (dirtyEstimate * 1.25) + (4L << 20))
                .isLessThan(fullRead / 4);
        String hookLog = sh(guest, "cat /var/log/sp-e2e-hook.log");
        assertThat(hookLog.lines().map(l -> l.replaceAll("^\\S+ ", "")).toList())
                .as(hookLog)
                .containsExactly("freeze", "thaw", "freeze", "thaw");

        cli(
                "restore",
                (String) full.get("backupId"),
                "--repo",
                repo,
                "--password-file",
                pw,
                "--catalog",
                catalog,
                "--to",
                WORK.toString(),
                "--define",
                R1,
                "--start",
                "--json");
        cli(
                "restore",
                ((String) inc.get("backupId")).substring(0, 8),
                "--repo",
                repo,
                "--password-file",
                pw,
                "--catalog",
                catalog,
                "--to",
                WORK.toString(),
                "--define",
                R2,
                "--start",
                "--json");
        // handles only: @AfterAll removes both domains (a shutdown hook would too)
        GuestLab r1 = GuestLab.attach(R1);
        GuestLab r2 = GuestLab.attach(R2);
        r1.waitForAgent(Duration.ofSeconds(240));
        r2.waitForAgent(Duration.ofSeconds(240));

        waitForPostgres(r1);
        long restoredMax = psqlLong(r1, "SELECT max(id) FROM t");
        assertThat(restoredMax)
                .as("rows committed before the freeze are there")
                .isGreaterThanOrEqualTo(committedBeforeBackup)
                .isLessThanOrEqualTo(rowsAfterFull);
        assertThat(psqlLong(r1, "SELECT count(*) FROM t"))
                .as("a consistent prefix, no holes")
                .isEqualTo(restoredMax);
        assertThat(r1.exec("test", "-e", "/root/inc.bin").exitCode())
                .as("the full point does not have the later file")
                .isNotZero();

        waitForPostgres(r2);
        assertThat(sh(r2, "sha256sum /root/inc.bin | cut -d' ' -f1").strip()).isEqualTo(sum);
        assertThat(psqlLong(r2, "SELECT count(*) FROM t")).isEqualTo(psqlLong(r2, "SELECT max(id) FROM t"));
    }

    static void waitForPostgres(GuestLab g) throws InterruptedException {
        for (int i = 0; i < 60; i++) {
            if (g.exec("runuser", "-u", "postgres", "--", "psql", "-tAq", "-c", "SELECT 1")
                    .ok()) return;
            Thread.sleep(2000);
        }
        fail("PostgreSQL did not come up in " + g.name());
    }
}
