package dev.stillpoint.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.cli.Main;
import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.RepositoryOptions;
import dev.stillpoint.testkit.HostPrograms;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** backup / backups / restore / snapshots audit through the command line, with real qemu-nbd and qemu-img. */
public class VmCommandsIT {
    @TempDir
    Path tmp;

    public record Run(int code, String out, String err) {
        @SuppressWarnings("unchecked")
        public Map<String, Object> last() throws Exception {
            String[] lines = out.strip().split("\n");
            return (Map<String, Object>) JSON.std.anyFrom(lines[lines.length - 1]);
        }

        /** Every JSON line of a --json run (docs/scripting.md: one object per line, each with a "type"). */
        @SuppressWarnings("unchecked")
        public List<Map<String, Object>> lines() throws Exception {
            List<Map<String, Object>> lines = new java.util.ArrayList<>();
            for (String line : out.strip().split("\n")) lines.add((Map<String, Object>) JSON.std.anyFrom(line));
            return lines;
        }
    }

    @BeforeAll
    static void useTestConnector() {
        System.setProperty("stillpoint.connector", StaticConnectorProvider.class.getName());
    }

    @AfterAll
    static void reset() {
        System.clearProperty("stillpoint.connector");
        StaticConnectorProvider.DOMAINS.clear();
    }

    public static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void backupListRestoreAndAuditAShutOffDomain() throws Exception {
        HostPrograms.require("qemu-img", "qemu-nbd", "qemu-io");
        Path image = tmp.resolve("sp-engine-cli-vda.qcow2");
        HostPrograms.qcow2(image, "32M", "write -P 0x41 1M 2M");
        StaticConnectorProvider.DOMAINS.put(
                "sp-engine-cli",
                new StaticConnectorProvider.ShutOffDomain(
                        "sp-engine-cli", List.of(new VmDisk("vda", image.toString(), "qcow2", null))));
        Path repo = tmp.resolve("repo");
        Repositories.init(repo, RepositoryOptions.unencrypted()).close();

        Run backup = cli(
                "backup",
                "sp-engine-cli",
                "--repo",
                repo.toString(),
                "--json",
                "--work-dir",
                tmp.resolve("w").toString());
        assertThat(backup.code()).as(backup.err()).isZero();
        assertThat(backup.lines())
                .allSatisfy(l -> assertThat(l).containsKey("type").doesNotContainKey("message_type"))
                .filteredOn(l -> "progress".equals(l.get("type")))
                .isNotEmpty()
                .allSatisfy(l -> assertThat(l)
                        .containsEntry("action", "backup sp-engine-cli/vda")
                        .containsKeys("bytesDone", "bytesTotal", "bytesPerSecond"));
        Map<String, Object> summary = backup.last();
        assertThat(summary)
                .containsEntry("type", "summary")
                .containsEntry("domain", "sp-engine-cli")
                .containsEntry("mode", "full")
                .containsEntry("consistency", "clean-shutdown")
                .containsKeys("backupId", "freezeWindowMs", "durationMs", "throughput", "disks");
        assertThat(((Number) summary.get("bytesRead")).longValue()).isEqualTo(2L << 20);
        @SuppressWarnings("unchecked")
        Map<String, Object> disk = ((List<Map<String, Object>>) summary.get("disks")).getFirst();
        assertThat(disk)
                .containsEntry("target", "vda")
                .containsEntry("diskSize", 32 << 20)
                .containsKey("storedBytes");
        String id = (String) summary.get("backupId");

        Run list = cli("backups", "--repo", repo.toString());
        assertThat(list.code()).isZero();
        assertThat(list.out()).contains(id).contains("clean-shutdown");

        Run restore = cli(
                "restore",
                id.substring(0, 8),
                "--repo",
                repo.toString(),
                "--to",
                tmp.resolve("r").toString(),
                "--json");
        assertThat(restore.code()).as(restore.err()).isZero();
        assertThat(restore.last())
                .containsEntry("type", "summary")
                .containsEntry("backupId", id)
                .containsEntry("definedDomain", null);
        HostPrograms.run(
                "qemu-img",
                "compare",
                "-f",
                "qcow2",
                "-F",
                "qcow2",
                image.toString(),
                tmp.resolve("r/sp-engine-cli-vda.qcow2").toString());

        Run define = cli(
                "restore",
                id,
                "--repo",
                repo.toString(),
                "--to",
                tmp.resolve("d").toString(),
                "--define",
                "sp-engine-cli-copy",
                "--format",
                "raw");
        assertThat(define.code()).as(define.err()).isZero();
        assertThat(StaticConnectorProvider.DEFINED.getLast())
                .contains("<name>sp-engine-cli-copy</name>")
                .contains(tmp.resolve("d/sp-engine-cli-copy-vda.raw").toString())
                .contains("type=\"raw\"")
                .doesNotContain("52:54:00:00:00:01");

        Run audit = cli("snapshots", "audit", "--repo", repo.toString(), "--json");
        assertThat(audit.code()).as(audit.err()).isZero();
        List<Map<String, Object>> auditLines = audit.lines();
        assertThat(auditLines)
                .filteredOn(l -> "auditEntry".equals(l.get("type")))
                .filteredOn(l -> "virtnbdbackup.0".equals(l.get("name")))
                .singleElement()
                .satisfies(e -> assertThat(e).containsEntry("owner", "other").containsEntry("flagged", true));
        Map<String, Object> auditSummary = audit.last();
        assertThat(auditSummary).containsEntry("type", "summary");
        assertThat(((Number) auditSummary.get("entries")).intValue()).isEqualTo((int) auditLines.stream()
                .filter(l -> "auditEntry".equals(l.get("type")))
                .count());
        assertThat(((Number) auditSummary.get("flagged")).intValue()).isPositive();
    }

    @Test
    void exitCodesNameTheProblem() throws Exception {
        Path repo = tmp.resolve("repo");
        Repositories.init(repo, RepositoryOptions.unencrypted()).close();
        Run missing = cli("backup", "sp-engine-nope", "--repo", repo.toString());
        assertThat(missing.code()).isEqualTo(20);
        assertThat(missing.err()).contains("sp-engine-nope");
        Run noBackup = cli("restore", "abcdef", "--repo", repo.toString(), "--to", tmp.toString());
        assertThat(noBackup.code()).isEqualTo(24);
        Run usage = cli("restore", "abcdef", "--repo", repo.toString());
        assertThat(usage.code()).isEqualTo(2);
        Run badConsistency = cli("backup", "x", "--repo", repo.toString(), "--consistency", "maybe");
        assertThat(badConsistency.code()).isEqualTo(2);
        assertThat(badConsistency.err()).contains("'maybe'");
    }
}
