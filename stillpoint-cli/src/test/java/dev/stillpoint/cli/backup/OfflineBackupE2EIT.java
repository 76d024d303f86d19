package dev.stillpoint.cli.backup;

import static dev.stillpoint.cli.backup.BackupE2EIT.cli;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.RepositoryOptions;
import dev.stillpoint.testkit.lab.GuestLab;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Offline incremental on a real guest of its own ({@code sp-offline-PID}: the shared lab guest
 * must stay up for the other ITs): online full (creates checkpoint C) → write a file, shut the
 * guest down cleanly → the offline backup reads only the extents of the qcow2 bitmap C
 * (incremental, checkpoint C) → start → the online backup is an incremental from C → the offline
 * point restored as a raw image holds the file (read with debugfs: no mount, no loop device).
 */
class OfflineBackupE2EIT {
    static final Path LAB_DIR = BackupE2EIT.LAB_DIR;
    static final String NAME = "sp-offline-" + ProcessHandle.current().pid();
    static final Path WORK =
            LAB_DIR.resolve("sp-e2e-work-offline-" + ProcessHandle.current().pid());
    static GuestLab guest;

    @BeforeAll
    static void boot() throws Exception {
        E2eGuest.requireHost();
        if (!onPath("debugfs")) {
            if (Boolean.getBoolean("stillpoint.it.required"))
                fail("debugfs (e2fsprogs) missing; stillpoint.it.required=true");
            org.junit.jupiter.api.Assumptions.assumeTrue(false, "debugfs (e2fsprogs) missing");
        }
        for (String name : GuestLab.virsh("list", "--all", "--name")
                .orThrow()
                .stdout()
                .lines()
                .map(String::strip)
                .toList()) {
            if (name.matches("sp-offline-\\d+")
                    && ProcessHandle.of(Long.parseLong(name.substring(11))).isEmpty()) {
                GuestLab.attach(name).close(); // left by a test JVM that died
            }
        }
        Files.createDirectories(WORK);
        Files.setPosixFilePermissions(WORK, PosixFilePermissions.fromString("rwxr-xr-x"));
        guest = GuestLab.boot(NAME, 768);
    }

    @AfterAll
    static void cleanup() {
        if (guest != null) guest.close(); // destroy + undefine (with checkpoint metadata) + lab files
        E2eGuest.deleteTree(WORK);
    }

    static boolean onPath(String program) {
        for (String dir : System.getenv()
                .getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
                .split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) return true;
        }
        return Files.isExecutable(Path.of("/usr/sbin", program)) || Files.isExecutable(Path.of("/sbin", program));
    }

    static long num(Map<String, Object> o, String key) {
        return ((Number) o.get(key)).longValue();
    }

    @Test
    void shutOffGuestIsBackedUpIncrementallyFromTheLastCheckpointAndTheChainContinuesOnline() throws Exception {
        Path repo = WORK.resolve("repo");
        Repositories.init(repo, RepositoryOptions.unencrypted()).close();

        Map<String, Object> full = cli("backup", NAME, "--repo", repo.toString(), "--json");
        assertThat(full).containsEntry("mode", "full");
        String cp = (String) full.get("checkpoint");
        assertThat(cp).startsWith("stillpoint-");

        String marker = "offline-incremental " + System.nanoTime();
        guest.sh("printf '%s\\n' '" + marker + "' > /root/offline.txt;"
                        + " dd if=/dev/urandom of=/root/offline.bin bs=1M count=16 status=none; sync")
                .orThrow();
        shutDown();

        // qemu wrote the checkpoint's persistent bitmap into the overlay, consistent (not in-use)
        String info = run("qemu-img", "info", "-U", "--output=json", disk().toString());
        assertThat(info).contains("\"name\": \"" + cp + "\"").doesNotContain("in-use");
        assertThat(GuestLab.virsh("checkpoint-list", NAME, "--name").orThrow().stdout())
                .contains(cp);

        Map<String, Object> off = cli("backup", NAME, "--repo", repo.toString(), "--json");
        // the same disk read in full offline, into a scratch repository (its own catalog: the chain is untouched)
        Path scratch = WORK.resolve("scratch-repo");
        Repositories.init(scratch, RepositoryOptions.unencrypted()).close();
        Map<String, Object> offFull = cli("backup", NAME, "--repo", scratch.toString(), "--full", "--json");
        System.out.printf(
                "offline-e2e: online full read %d B in %d ms; offline full read %d B in %d ms;"
                        + " offline incremental read %d B in %d ms%n",
                num(full, "bytesRead"),
                num(full, "durationMs"),
                num(offFull, "bytesRead"),
                num(offFull, "durationMs"),
                num(off, "bytesRead"),
                num(off, "durationMs"));
        assertThat(off)
                .containsEntry("mode", "incremental")
                .containsEntry("consistency", "clean-shutdown")
                .containsEntry("checkpoint", cp)
                .containsEntry("parentBackup", full.get("backupId"));
        assertThat(offFull).containsEntry("mode", "full").containsEntry("consistency", "clean-shutdown");
        assertThat(num(off, "bytesRead"))
                .as("reads about the 16 MiB written, far less than a full read")
                .isGreaterThanOrEqualTo(16L << 20)
                .isLessThan(num(offFull, "bytesRead") / 4);

        GuestLab.virsh("start", NAME).orThrow();
        guest.waitForAgent(Duration.ofSeconds(300));
        Map<String, Object> online = cli("backup", NAME, "--repo", repo.toString(), "--json");
        assertThat(online).containsEntry("mode", "incremental").containsEntry("parentBackup", off.get("backupId"));
        assertThat((String) online.get("checkpoint")).isNotEqualTo(cp);
        assertThat(num(online, "bytesRead")).isLessThan(num(offFull, "bytesRead") / 4);
        System.out.printf(
                "offline-e2e: online incremental from %s after the restart read %d B in %d ms%n",
                cp, num(online, "bytesRead"), num(online, "durationMs"));
        List<String> cps = GuestLab.virsh("checkpoint-list", NAME, "--name")
                .orThrow()
                .stdout()
                .lines()
                .map(String::strip)
                .filter(l -> !l.isEmpty())
                .toList();
        assertThat(cps).containsExactly((String) online.get("checkpoint"));

        Path restored = WORK.resolve("restored");
        cli(
                "restore",
                (String) off.get("backupId"),
                "--repo",
                repo.toString(),
                "--to",
                restored.toString(),
                "--format",
                "raw",
                "--json");
        Path image;
        try (var files = Files.list(restored)) {
            image = files.filter(Files::isRegularFile).findFirst().orElseThrow();
        }
        String content = run("debugfs", "-R", "cat /root/offline.txt", image.toString());
        assertThat(content).contains(marker);
        // the guest shut down cleanly: its root filesystem was unmounted (no journal recovery needed)
        assertThat(run("dumpe2fs", "-h", image.toString())).containsPattern("Filesystem state:\\s+clean");
    }

    Path disk() {
        String xml = GuestLab.virsh("dumpxml", NAME, "--inactive").orThrow().stdout();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<source file='([^']+\\.qcow2)'")
                .matcher(xml);
        assertThat(m.find()).as(xml).isTrue();
        return Path.of(m.group(1));
    }

    /** sync, then poweroff from inside (ACPI shutdown is ignored by this guest); waits for "shut off". */
    void shutDown() throws Exception {
        guest.sh("sync; setsid sh -c 'sleep 1; systemctl poweroff || poweroff -f' </dev/null >/dev/null 2>&1 &")
                .orThrow();
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (System.nanoTime() < deadline) {
            if (GuestLab.virsh("domstate", NAME).stdout().strip().equals("shut off")) return;
            Thread.sleep(1000);
        }
        fail("guest " + NAME + " did not shut off within 180 s after systemctl poweroff");
    }

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor())
                .as(String.join(" ", cmd) + ": " + new String(out, StandardCharsets.UTF_8))
                .isZero();
        return new String(out, StandardCharsets.UTF_8);
    }
}
