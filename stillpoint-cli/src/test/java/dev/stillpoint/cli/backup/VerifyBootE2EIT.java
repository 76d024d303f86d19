package dev.stillpoint.cli.backup;

import static dev.stillpoint.cli.backup.BackupE2EIT.cli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.cli.Main;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.RepositoryOptions;
import dev.stillpoint.testkit.lab.GuestLab;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Boot verification on the shared lab guest: a point boots in isolation, its filesystems are clean
 * and a probe that reads a file written before the backup passes; a probe that fails makes the
 * verification fail (exit 29) with the reason; `backups` shows both; each run keeps a console
 * screenshot as evidence (the lab guest has no graphics device: the throwaway domain gets one);
 * nothing is left behind.
 */
class VerifyBootE2EIT {
    static Path WORK;
    static GuestLab guest;

    @BeforeAll
    static void setUp() throws Exception {
        guest = E2eGuest.shared();
        WORK = E2eGuest.workDir(BackupE2EIT.LAB_DIR, "verify");
    }

    @AfterAll
    static void tearDown() {
        E2eGuest.removeWorkDir(WORK);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aGoodPointPassesAFailingProbeFailsAndBackupsShowsWhich() throws Exception {
        Path repo = WORK.resolve("repo");
        Repositories.init(repo, RepositoryOptions.unencrypted()).close();
        BackupE2EIT.sh(guest, "echo verified > /root/verify-marker; sync");
        String id = (String)
                cli("backup", guest.name(), "--repo", repo.toString(), "--json").get("backupId");

        Map<String, Object> ok = cli(
                "verify",
                id,
                "--boot",
                "--repo",
                repo.toString(),
                "--work-dir",
                WORK.toString(),
                "--probe",
                "grep -q verified /root/verify-marker",
                "--evidence",
                WORK.resolve("evidence").toString(),
                "--json");
        assertThat(ok).containsEntry("passed", 1).containsEntry("failed", 0);

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(
                "verify",
                id,
                "--boot",
                "--repo",
                repo.toString(),
                "--work-dir",
                WORK.toString(),
                "--probe",
                "test -e /root/no-such-file",
                "--evidence",
                WORK.resolve("evidence").toString(),
                "--json");
        assertThat(code).as(err.toString() + out).isEqualTo(29);
        assertThat(out.toString()).contains("\"passed\":false").contains("probe 'test -e /root/no-such-file' exited 1");

        String backups = GuestLab.virsh("list", "--all", "--name").orThrow().stdout();
        assertThat(backups).as("no throwaway domain left").doesNotContain("sp-verify-");
        assertThat(ProcessHandle.allProcesses()
                        .map(h -> h.info().commandLine().orElse(""))
                        .filter(c -> c.contains("dev.stillpoint.cli.Main") && c.contains(" export ")))
                .as("no export left")
                .isEmpty();
        try (var s = Files.list(WORK)) {
            assertThat(s.map(p -> p.getFileName().toString()))
                    .as("no overlay left")
                    .noneMatch(n -> n.startsWith("sp-verify-"));
        }

        StringWriter listed = new StringWriter();
        CommandLine l = Main.commandLine();
        l.setOut(new PrintWriter(listed, true));
        assertThat(l.execute("backups", "--repo", repo.toString(), "--json")).isZero();
        String line = listed.toString()
                .lines()
                .filter(x -> x.contains(id))
                .findFirst()
                .orElseThrow();
        Map<String, Object> b = (Map<String, Object>) com.fasterxml.jackson.jr.ob.JSON.std.anyFrom(line);
        Map<String, Object> v = (Map<String, Object>) b.get("verification");
        assertThat(v).containsEntry("passed", false);
        assertThat(((Number) ok.get("verified")).intValue()).isEqualTo(1);
        assertThat((List<Object>) v.get("filesystems")).isNotEmpty();
        Map<String, Object> shot = (Map<String, Object>) v.get("screenshot");
        assertThat(shot).as("screenshot recorded").isNotNull().containsEntry("error", null);
        Path png = Path.of((String) shot.get("path"));
        assertThat(png).startsWith(WORK.resolve("evidence")).isRegularFile();
        assertThat(Files.size(png)).isPositive();
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(png.toFile());
        assertThat(img).as("a readable " + shot.get("mimeType")).isNotNull();
        assertThat(img.getWidth()).isBetween(320, 4096).isEqualTo(((Number) shot.get("width")).intValue());
        assertThat(img.getHeight()).isBetween(200, 4096).isEqualTo(((Number) shot.get("height")).intValue());
        try (var s = Files.list(WORK.resolve("evidence"))) {
            assertThat(s.filter(p -> p.getFileName().toString().startsWith(id)))
                    .as("one per run")
                    .hasSize(2);
        }
        StringWriter text = new StringWriter();
        CommandLine t = Main.commandLine();
        t.setOut(new PrintWriter(text, true));
        assertThat(t.execute("backups", "--repo", repo.toString())).isZero();
        assertThat(text.toString()).contains("screenshot " + png + " (image/png, " + img.getWidth() + "x");
        System.out.println("verify e2e: "
                + listed.toString()
                        .lines()
                        .filter(x -> x.contains(id))
                        .findFirst()
                        .orElse(""));
    }
}
