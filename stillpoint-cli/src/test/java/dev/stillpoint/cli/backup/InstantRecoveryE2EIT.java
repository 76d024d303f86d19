package dev.stillpoint.cli.backup;

import static dev.stillpoint.cli.backup.BackupE2EIT.cli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.RepositoryOptions;
import dev.stillpoint.testkit.lab.GuestLab;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Instant recovery on the shared lab guest: back up, start the point as a new domain on overlays
 * over a repository export while the original keeps running, check its data and that its writes
 * land in the overlay, let the block pulls finish, and see the export end and the domain run on
 * its own file.
 */
class InstantRecoveryE2EIT {
    static final String NAME = E2eGuest.extraDomain("instant");
    static final String SECOND = E2eGuest.extraDomain("instantb");
    static Path WORK;
    static GuestLab guest;

    @BeforeAll
    static void setUp() throws Exception {
        guest = E2eGuest.shared();
        E2eGuest.removeLeftoversOfDeadJvms(BackupE2EIT.LAB_DIR);
        WORK = E2eGuest.workDir(BackupE2EIT.LAB_DIR, "instant");
    }

    @AfterAll
    static void tearDown() {
        try {
            cli("instant", "abort", NAME, "--json");
        } catch (Throwable ignored) {
            // finished or never started
        }
        try {
            cli("instant", "abort", SECOND, "--json");
        } catch (Throwable ignored) {
            // aborted by the test, or never started
        }
        for (String d : new String[] {NAME, SECOND}) {
            try (GuestLab lab = GuestLab.attach(d)) {
                // close(): destroy + undefine when it exists
            }
        }
        E2eGuest.removeWorkDir(WORK);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aBackupRunsWithinSecondsAndMovesItsDataBehindTheGuest() throws Exception {
        Path repo = WORK.resolve("repo");
        Repositories.init(repo, RepositoryOptions.unencrypted()).close();
        BackupE2EIT.sh(guest, "echo instant-$$ > /root/instant-marker; sync");
        String marker = BackupE2EIT.sh(guest, "cat /root/instant-marker").strip();
        Map<String, Object> backup = cli("backup", guest.name(), "--repo", repo.toString(), "--json");
        String id = (String) backup.get("backupId");

        long t0 = System.nanoTime();
        Map<String, Object> started = cli(
                "restore",
                id,
                "--repo",
                repo.toString(),
                "--to",
                WORK.toString(),
                "--define",
                NAME,
                "--instant",
                "--json");
        long defineMs = (System.nanoTime() - t0) / 1_000_000;
        GuestLab instant = GuestLab.attach(NAME);
        Duration toAgent = instant.waitForAgent(Duration.ofSeconds(300));
        long agentMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf(
                "instant e2e: domain defined and started in %d ms, guest agent answered %d ms after the command"
                        + " (waitForAgent %d ms)%n",
                defineMs, agentMs, toAgent.toMillis());
        assertThat(started).containsEntry("instant", true);
        long exportPid = ((Number) started.get("exportPid")).longValue();
        assertThat(ProcessHandle.of(exportPid))
                .as("the export outlives the restore command")
                .isPresent();

        assertThat(BackupE2EIT.sh(instant, "cat /root/instant-marker").strip()).isEqualTo(marker);
        BackupE2EIT.sh(instant, "dd if=/dev/urandom of=/root/written-after bs=1M count=4 status=none; sync");
        String overlay = ((List<String>) started.get("overlays")).getFirst();
        assertThat(Path.of(overlay)).exists();

        Map<String, Object> listed = cli("instant", "list", "--json");
        assertThat(((Number) listed.get("instant")).intValue()).isEqualTo(1);

        Map<String, Object> finished = cli("instant", "finish", NAME, "--timeout", "600", "--json");
        System.out.printf(
                "instant e2e: block pulls finished %d ms after the command%n", (System.nanoTime() - t0) / 1_000_000);
        assertThat(finished).containsEntry("state", "done");
        assertThat(ProcessHandle.of(exportPid).filter(ProcessHandle::isAlive))
                .as("export stopped")
                .isEmpty();
        String xml = GuestLab.virsh("dumpxml", NAME).orThrow().stdout();
        assertThat(xml).as("no NBD backing left").doesNotContain("protocol='nbd'");
        assertThat(GuestLab.virsh("domblklist", NAME).orThrow().stdout()).contains(overlay);
        assertThat(BackupE2EIT.sh(instant, "cat /root/instant-marker; test -s /root/written-after && echo ok"))
                .contains(marker, "ok");
        assertThat(BackupE2EIT.sh(guest, "test -e /root/written-after || echo absent"))
                .as("the original is untouched")
                .contains("absent");
        GuestLab.virsh("destroy", NAME).orThrow();

        // the export dies under a second instant recovery: `instant list` says so, `abort` removes everything
        String second = SECOND;
        Map<String, Object> again = cli(
                "restore",
                id,
                "--repo",
                repo.toString(),
                "--to",
                WORK.toString(),
                "--define",
                second,
                "--instant",
                "--json");
        long pid = ((Number) again.get("exportPid")).longValue();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
        Map<String, Object> dead = cli("instant", "list", "--json");
        assertThat(dead).containsEntry("instant", 1);
        String listing = BackupE2EIT.cliLines("instant", "list", "--json");
        assertThat(listing)
                .contains("\"domain\":\"" + second + "\"")
                .contains("\"state\":\"export-dead\"")
                .contains("\"exportAlive\":false");
        cli("instant", "abort", second, "--json");
        assertThat(GuestLab.virsh("list", "--all", "--name").orThrow().stdout()).doesNotContain(second);
        for (Object o : (List<Object>) again.get("overlays"))
            assertThat(Path.of((String) o)).doesNotExist();
    }
}
