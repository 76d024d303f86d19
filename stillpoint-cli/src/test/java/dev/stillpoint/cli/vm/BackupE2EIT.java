package dev.stillpoint.cli.vm;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.cli.Main;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.RepositoryOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The main job end to end on a real libvirt guest (scripts/lab): full backup while PostgreSQL
 * inserts rows, writes, incremental backup reading about the dirty bytes, restore of both points
 * as new domains, boot, the database holds every row committed before the freeze, the guest's
 * hook log shows freeze then thaw.
 */
class BackupE2EIT {
    static final String DOMAIN = "sp-engine-e2e";
    static final String R1 = "sp-engine-e2e-r1";
    static final String R2 = "sp-engine-e2e-r2";
    static final Path WORK = Path.of("/var/lib/stillpoint/lab/sp-engine-e2e-work");

    @BeforeAll
    static void requireLab() throws Exception {
        boolean required = Boolean.getBoolean("stillpoint.it.required");
        boolean connector = ServiceLoader.load(dev.stillpoint.engine.vm.VmConnectorProvider.class).stream()
                .anyMatch(p -> !p.type().equals(StaticConnectorProvider.class));
        boolean virsh = Lab.run(10, List.of("sh", "-c", "command -v virsh")).code() == 0;
        if (!(Lab.available() && connector && virsh)) {
            String why = "e2e needs scripts/lab, virsh and a libvirt VmConnectorProvider (lab " + Lab.available()
                    + ", connector " + connector + ", virsh " + virsh + ")";
            if (required) fail(why);
            assumeTrue(false, why);
        }
        // the test classpath also registers StaticConnectorProvider: pick libvirt's
        ServiceLoader.load(dev.stillpoint.engine.vm.VmConnectorProvider.class).stream()
                .filter(p -> !p.type().equals(StaticConnectorProvider.class)).findFirst()
                .ifPresent(p -> System.setProperty("stillpoint.connector", p.type().getName()));
        Lab.run(30, List.of("sh", "-c", ". " + Lab.ROOT + "/scripts/lib.sh && stillpoint_start_libvirt"));
        removeLeftovers();
        Files.createDirectories(WORK);
        Files.setPosixFilePermissions(WORK, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterAll
    static void cleanup() throws Exception {
        System.clearProperty("stillpoint.connector");
        removeLeftovers();
    }

    static void removeLeftovers() throws Exception {
        Lab.removeDomain(R1);
        Lab.removeDomain(R2);
        if (Lab.available()) Lab.run(300, List.of(Lab.SCRIPT.toString(), "down", DOMAIN));
        if (Files.exists(WORK)) {
            try (Stream<Path> s = Files.walk(WORK)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> cli(String... args) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        assertThat(code).as("stillpoint " + String.join(" ", args) + "\n" + err + out).isZero();
        String[] lines = out.toString().strip().split("\n");
        return (Map<String, Object>) JSON.std.anyFrom(lines[lines.length - 1]);
    }

    static long psqlLong(String domain, String sql) throws Exception {
        return Long.parseLong(Lab.sh(domain, "runuser -u postgres -- psql -tAq -c \"" + sql + "\"").strip());
    }

    @Test
    void fullWhileDatabaseWritesThenIncrementalThenRestoreBothPoints() throws Exception {
        String runnerJar = Lab.ROOT.resolve("stillpoint-guest/target/stillpoint-guest.jar").toString();
        assertThat(Path.of(runnerJar)).as("stillpoint-guest jar (./mvnw -pl stillpoint-guest package)").exists();
        Lab.lab(900, "up", DOMAIN);
        installRunner(runnerJar);
        Path res = Path.of("src/test/resources/e2e").toAbsolutePath();
        Lab.sh(DOMAIN, "mkdir -p /etc/qemu/fsfreeze-hook.d");
        Lab.lab(60, "push", DOMAIN, res.resolve("10-postgres-checkpoint").toString(), "/etc/qemu/fsfreeze-hook.d/10-postgres-checkpoint");
        Lab.sh(DOMAIN, "chmod 755 /etc/qemu/fsfreeze-hook.d/10-postgres-checkpoint; rm -f /var/log/sp-e2e-hook.log");
        Lab.lab(60, "push", DOMAIN, res.resolve("workload.sh").toString(), "/root/workload.sh");
        Lab.sh(DOMAIN, "systemd-run --quiet --collect --unit=sp-workload sh /root/workload.sh; sleep 5");

        Path repo = WORK.resolve("repo");
        Repositories.init(repo, RepositoryOptions.unencrypted()).close();
        long committedBeforeBackup = psqlLong(DOMAIN, "SELECT max(id) FROM t");
        assertThat(committedBeforeBackup).as("workload is inserting").isPositive();

        Map<String, Object> full = cli("backup", DOMAIN, "--repo", repo.toString(), "--json");
        long rowsAfterFull = psqlLong(DOMAIN, "SELECT max(id) FROM t");
        assertThat(full).containsEntry("mode", "full").containsEntry("consistency", "application");
        assertThat(((Number) full.get("freezeWindowMs")).longValue()).isPositive();
        assertThat(rowsAfterFull).as("workload kept running during the backup").isGreaterThan(committedBeforeBackup);

        Lab.sh(DOMAIN, "systemctl stop sp-workload; sleep 1; dd if=/dev/urandom of=/root/inc.bin bs=1M count=32 status=none; sync");
        String sum = Lab.sh(DOMAIN, "sha256sum /root/inc.bin | cut -d' ' -f1").strip();
        String cp = (String) full.get("checkpoint");
        String cpXml = Lab.virsh("checkpoint-dumpxml", DOMAIN, cp, "--size");
        Matcher m = Pattern.compile("<disk name='vda'[^>]*size='(\\d+)'").matcher(cpXml);
        assertThat(m.find()).as(cpXml).isTrue();
        long dirtyEstimate = Long.parseLong(m.group(1));

        Map<String, Object> inc = cli("backup", DOMAIN, "--repo", repo.toString(), "--json");
        assertThat(inc).containsEntry("mode", "incremental").containsEntry("parentBackup", full.get("backupId"));
        long incRead = ((Number) inc.get("bytesRead")).longValue();
        long fullRead = ((Number) full.get("bytesRead")).longValue();
        System.out.printf("e2e: full read %d B of %d B in %d ms (freeze window %s ms); incremental read %d B, "
                        + "libvirt dirty estimate %d B, in %d ms (freeze window %s ms)%n", fullRead, full.get("diskSize"),
                full.get("durationMs"), full.get("freezeWindowMs"), incRead, dirtyEstimate, inc.get("durationMs"),
                inc.get("freezeWindowMs"));
        assertThat(incRead).as("incremental reads about the dirty bytes").isGreaterThanOrEqualTo(32L << 20)
                .isBetween((long) (dirtyEstimate * 0.8), (long) (dirtyEstimate * 1.25) + (4L << 20))
                .isLessThan(fullRead / 4);
        String hookLog = Lab.sh(DOMAIN, "cat /var/log/sp-e2e-hook.log");
        assertThat(hookLog.lines().map(l -> l.replaceAll("^\\S+ ", "")).toList())
                .as(hookLog).containsExactly("freeze", "thaw", "freeze", "thaw");

        cli("restore", (String) full.get("backupId"), "--repo", repo.toString(), "--to", WORK.toString(),
                "--define", R1, "--start", "--json");
        cli("restore", ((String) inc.get("backupId")).substring(0, 8), "--repo", repo.toString(), "--to", WORK.toString(),
                "--define", R2, "--start", "--json");
        Lab.lab(300, "wait-agent", R1, "--timeout", "240");
        Lab.lab(300, "wait-agent", R2, "--timeout", "240");

        waitForPostgres(R1);
        long restoredMax = psqlLong(R1, "SELECT max(id) FROM t");
        assertThat(restoredMax).as("rows committed before the freeze are there")
                .isGreaterThanOrEqualTo(committedBeforeBackup).isLessThanOrEqualTo(rowsAfterFull);
        assertThat(psqlLong(R1, "SELECT count(*) FROM t")).as("a consistent prefix, no holes").isEqualTo(restoredMax);
        assertThat(Lab.run(60, List.of(Lab.SCRIPT.toString(), "exec", R1, "--", "test", "-e", "/root/inc.bin")).code())
                .as("the full point does not have the later file").isNotZero();

        waitForPostgres(R2);
        assertThat(Lab.sh(R2, "sha256sum /root/inc.bin | cut -d' ' -f1").strip()).isEqualTo(sum);
        assertThat(psqlLong(R2, "SELECT count(*) FROM t")).isEqualTo(psqlLong(R2, "SELECT max(id) FROM t"));
    }

    /**
     * Like {@code lab install-runner}, but the install runs detached: it restarts qemu-ga itself,
     * which would kill a guest-exec waiting for it ("Guest agent disappeared").
     */
    static void installRunner(String jar) throws Exception {
        String path = "/usr/local/lib/stillpoint/stillpoint-guest.jar";
        Lab.sh(DOMAIN, "mkdir -p /usr/local/lib/stillpoint; rm -f /root/sp-install.log");
        Lab.lab(120, "push", DOMAIN, jar, path);
        // outside qemu-ga's cgroup, or the agent restart kills the install itself
        Lab.sh(DOMAIN, "systemd-run --quiet --collect --unit=sp-install sh -c 'java -jar " + path
                + " install --for qemu-ga > /root/sp-install.out 2>&1; echo exit=$? >> /root/sp-install.log'");
        for (int i = 0; i < 90; i++) {
            Thread.sleep(2000);
            Lab.Result r = Lab.run(60, List.of(Lab.SCRIPT.toString(), "exec", DOMAIN, "--", "cat", "/root/sp-install.log"));
            if (r.code() == 0 && r.out().contains("exit=")) {
                assertThat(r.out()).as(Lab.sh(DOMAIN, "cat /root/sp-install.out")).contains("exit=0");
                Lab.lab(120, "wait-agent", DOMAIN, "--timeout", "60");
                return;
            }
        }
        fail("stillpoint-guest install --for qemu-ga did not finish in the guest");
    }

    static void waitForPostgres(String domain) throws Exception {
        for (int i = 0; i < 60; i++) {
            if (Lab.run(60, List.of(Lab.SCRIPT.toString(), "exec", domain, "--", "runuser", "-u", "postgres", "--",
                    "psql", "-tAq", "-c", "SELECT 1")).code() == 0) return;
            Thread.sleep(2000);
        }
        fail("PostgreSQL did not come up in " + domain);
    }
}
