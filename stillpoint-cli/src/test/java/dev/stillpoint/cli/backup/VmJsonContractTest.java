package dev.stillpoint.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.cli.Main;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.cli.output.VmPrinter;
import dev.stillpoint.engine.backup.BackupListener;
import dev.stillpoint.engine.backup.BackupResult;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.catalog.Consistency;
import dev.stillpoint.engine.catalog.DiskRecord;
import dev.stillpoint.engine.catalog.Phase;
import dev.stillpoint.engine.restore.RestoreFormat;
import dev.stillpoint.engine.restore.RestoreListener;
import dev.stillpoint.engine.restore.RestoredDisk;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The VM commands' {@code --json} lines follow the one contract of {@code dev.stillpoint.cli.output}
 * (docs/scripting.md): every line has {@code "type"}, no {@code "message_type"}, every key is
 * camelCase, and progress uses the repository commands' field names.
 */
class VmJsonContractTest {
    private static final Pattern CAMEL_CASE = Pattern.compile("[a-z][a-zA-Z0-9]*");

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private VmPrinter printer(boolean json) {
        PrintWriter o = new PrintWriter(out), e = new PrintWriter(err);
        return new VmPrinter(Output.of(o, e, json, false), o, e, false);
    }

    @Test
    void backupLinesUseTypeAndCamelCaseKeys() throws Exception {
        VmPrinter printer = printer(true);
        BackupListener l = BackupCommand.listener(printer, "web1");
        l.phaseStarted(Phase.FREEZE);
        l.phaseFinished(Phase.FREEZE, Duration.ofMillis(812));
        l.modeChosen(BackupRecord.Mode.INCREMENTAL, "stillpoint-cp-1");
        l.diskStarted("vda", 2L << 20, 32L << 20);
        l.progress("vda", 1L << 20, 2L << 20);
        l.progress("vda", 2L << 20, 2L << 20);
        l.diskFinished("vda", 2L << 20, 1L << 20);
        l.warning("bitmap-drift", "vda: bitmap missing, full read");
        printer.finishProgress();
        BackupCommand.print(printer, new BackupResult(record(), Duration.ofMillis(1500), List.of()));

        List<Map<String, Object>> lines = lines();
        lines.forEach(VmJsonContractTest::assertContract);
        assertThat(lines)
                .extracting(m -> m.get("type"))
                .containsExactly("phase", "phase", "progress", "progress", "warning", "summary");
        assertThat(lines.get(0))
                .containsExactly(
                        Map.entry("type", "phase"), Map.entry("phase", "freeze"), Map.entry("state", "started"));
        assertThat(lines.get(1)).containsEntry("state", "finished").containsEntry("ms", 812);
        assertThat(lines.get(2))
                .containsEntry("action", "backup web1/vda")
                .containsEntry("bytesDone", 1 << 20)
                .containsEntry("bytesTotal", 2 << 20)
                .containsKeys("percent", "bytesPerSecond", "elapsedSeconds");
        assertThat(lines.get(3)).containsEntry("bytesDone", 2 << 20).containsEntry("percent", 100.0);
        assertThat(lines.get(4))
                .containsExactly(
                        Map.entry("type", "warning"),
                        Map.entry("code", "bitmap-drift"),
                        Map.entry("message", "vda: bitmap missing, full read"));
        Map<String, Object> summary = lines.get(5);
        assertThat(summary)
                .containsEntry("backupId", "3d5df21bed5ffe07")
                .containsEntry("domain", "web1")
                .containsEntry("mode", "incremental")
                .containsEntry("bytesRead", 2 << 20)
                .containsKeys(
                        "uuid",
                        "consistency",
                        "checkpoint",
                        "parentBackup",
                        "freezeWindowMs",
                        "guestFreezeWindowMs",
                        "phasesMs",
                        "disks",
                        "storedBytes",
                        "diskSize",
                        "durationMs",
                        "throughput",
                        "copyThroughput",
                        "warnings");
        assertThat(summary.get("guestFreezeWindowMs"))
                .as("absent values are printed as null")
                .isNull();
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void restoreLinesUseTypeAndCamelCaseKeys() throws Exception {
        VmPrinter printer = printer(true);
        RestoreListener l = RestoreCommand.listener(printer, "web1");
        l.progress("vda", 512, -1);
        l.progress("vdb", 100, 100);
        l.diskFinished("vda", Path.of("/r/web1-vda.qcow2"));
        printer.finishProgress();
        printer.summary(RestoreCommand.summary(
                record(),
                null,
                false,
                List.of(new RestoredDisk("vda", Path.of("/r/web1-vda.qcow2"), RestoreFormat.QCOW2, 32L << 20, "ab12")),
                42));

        List<Map<String, Object>> lines = lines();
        lines.forEach(VmJsonContractTest::assertContract);
        assertThat(lines)
                .extracting(m -> m.get("type"))
                .containsExactly("progress", "progress", "progress", "progress", "summary");
        assertThat(lines)
                .filteredOn(m -> "restore web1/vda".equals(m.get("action")))
                .allSatisfy(
                        m -> assertThat(m).containsEntry("bytesTotal", -1).doesNotContainKeys("percent", "etaSeconds"));
        assertThat(lines.getLast())
                .containsEntry("backupId", "3d5df21bed5ffe07")
                .containsEntry("definedDomain", null)
                .containsEntry("started", false)
                .containsEntry("durationMs", 42)
                .containsKey("disks");
    }

    @Test
    void backupsListsTypedLinesThenASummary(@TempDir Path repo) throws Exception {
        try (Catalog catalog = Catalog.open(Catalog.defaultPath(repo))) {
            catalog.insert(record());
        }
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        assertThat(cl.execute("backups", "--repo", repo.toString(), "--json"))
                .as(err.toString())
                .isZero();

        List<Map<String, Object>> lines = lines();
        lines.forEach(VmJsonContractTest::assertContract);
        assertThat(lines).extracting(m -> m.get("type")).containsExactly("backup", "summary");
        assertThat(lines.getFirst())
                .containsEntry("backupId", "3d5df21bed5ffe07")
                .containsEntry("status", "complete");
        assertThat(lines.getLast()).containsExactly(Map.entry("type", "summary"), Map.entry("backups", 1));
    }

    @Test
    void warningsAndTextStayHumanWithoutJson() {
        VmPrinter printer = printer(false);
        BackupListener l = BackupCommand.listener(printer, "web1");
        l.phaseStarted(Phase.COPY);
        l.phaseFinished(Phase.COPY, Duration.ofMillis(3100));
        l.progress("vda", 2L << 20, 2L << 20);
        l.warning("bitmap-drift", "full read");
        assertThat(out.toString()).isEqualTo("copy        3100 ms\n");
        assertThat(err.toString())
                .contains("vda: 2.0 MiB / 2.0 MiB")
                .contains("warning: full read\n")
                .doesNotContain("{");
    }

    /** A line of the one contract: a "type", no "message_type", camelCase keys at every depth. */
    private static void assertContract(Map<String, Object> line) {
        assertThat(line).as("line %s", line).containsKey("type").doesNotContainKey("message_type");
        assertThat(line.get("type")).asString().matches(CAMEL_CASE);
        assertThat(keys(line, new ArrayList<>()))
                .as("keys of %s", line)
                .allMatch(k -> CAMEL_CASE.matcher(k).matches())
                .doesNotContain("bytes_done", "bytes_total", "bytes_per_second", "seconds_remaining");
    }

    @SuppressWarnings("unchecked")
    private static List<String> keys(Object value, List<String> into) {
        if (value instanceof Map<?, ?> m) {
            m.forEach((k, v) -> {
                into.add((String) k);
                keys(v, into);
            });
        } else if (value instanceof List<?> list) {
            list.forEach(v -> keys(v, into));
        }
        return into;
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> lines() throws Exception {
        List<Map<String, Object>> lines = new ArrayList<>();
        for (String line : out.toString().strip().split("\n")) lines.add((Map<String, Object>) JSON.std.anyFrom(line));
        return lines;
    }

    private static BackupRecord record() {
        return BackupRecord.builder("3d5df21bed5ffe07", "web1", Instant.parse("2026-11-22T19:30:00Z"))
                .vmUuid("6e3c1a52-0000-4000-8000-000000000001")
                .finishedAt(Instant.parse("2026-11-22T19:30:02Z"))
                .status(BackupRecord.Status.COMPLETE)
                .mode(BackupRecord.Mode.INCREMENTAL)
                .consistency(Consistency.APPLICATION)
                .checkpoint("stillpoint-cp-2")
                .parentBackup("0123456789abcdef")
                .domainXml("<domain/>")
                .freezeWindowMs(5120L)
                .phaseMs(Map.of(Phase.FREEZE, 812L, Phase.COPY, 1000L))
                .bytes(2L << 20, 1L << 20, 32L << 20)
                .disks(List.of(new DiskRecord(
                        "vda", "/img/web1.qcow2", "qcow2", 32L << 20, "ab12", "cd34", 2L << 20, 1L << 20)))
                .build();
    }
}
