package dev.stillpoint.cli.backup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.cli.Main;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.catalog.Consistency;
import dev.stillpoint.guest.contract.GuestReport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Issue 17 item 6: {@code backups} shows the guest's I/O-frozen window and how long an application was held. */
class GuestFiguresTest {
    @TempDir
    Path repo;

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    static BackupRecord record(String id, String report) {
        return BackupRecord.builder(id, "web1", Instant.parse("2026-12-06T05:00:00Z"))
                .vmUuid("6e3c1a52-0000-4000-8000-000000000001")
                .finishedAt(Instant.parse("2026-12-06T05:00:09Z"))
                .status(BackupRecord.Status.COMPLETE)
                .mode(BackupRecord.Mode.FULL)
                .consistency(Consistency.APPLICATION)
                .freezeWindowMs(2480L)
                .guestReport(report)
                .bytes(1, 1, 1)
                .build();
    }

    int backups(String... more) throws Exception {
        try (Catalog c = Catalog.open(Catalog.defaultPath(repo))) {
            c.insert(record(
                    "1111111111111111",
                    GuestReport.builder()
                            .consistency("application")
                            .result("ok")
                            .freezeWindowMs(700L)
                            .ioFrozenMs(655L)
                            .ioFrozenBy("hook-script")
                            .appHeld(List.of(
                                    new GuestReport.Held("stillpoint:app:mysql", 702),
                                    new GuestReport.Held("stillpoint:app:iris", 1210)))
                            .build()
                            .toJson(true)));
            // a backup from before issue 17: an old report without the new fields, and one without a report
            c.insert(record(
                    "2222222222222222", "{\"version\":1,\"consistency\":\"application\",\"freezeWindowMs\":90}"));
            c.insert(record("3333333333333333", null));
            // an older hook wrapper: the guest could only bound the window with a JVM exit in it
            c.insert(record(
                    "4444444444444444",
                    "{\"version\":1,\"consistency\":\"application\",\"ioFrozenMs\":287,\"ioFrozenBy\":\"hook-jvm\"}"));
        }
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        String[] args = new String[3 + more.length];
        args[0] = "backups";
        args[1] = "--repo";
        args[2] = repo.toString();
        System.arraycopy(more, 0, args, 3, more.length);
        return cl.execute(args);
    }

    @Test
    void textShowsIoFrozenAndApplicationHeldBesideTheFreezeWindow() throws Exception {
        assertThat(backups()).as(err.toString()).isZero();
        List<String> lines = out.toString().lines().toList();
        assertThat(lines.getFirst()).contains("FREEZE", "IO-FROZEN", "APP-HELD");
        assertThat(lines.get(1))
                .contains("1111111111111111")
                .contains("2480 ms")
                .contains("655 ms")
                .contains("1210 ms");
        assertThat(lines.get(2))
                .contains("2222222222222222")
                .contains("2480 ms")
                .doesNotContain("655");
        assertThat(lines.get(3)).contains("3333333333333333");
        assertThat(lines.stream().filter(l -> l.startsWith("4444444444444444")))
                .singleElement()
                .asString()
                .contains("<=287 ms");
        assertThat(lines.get(1)).doesNotContain("<=");
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonCarriesBothBesideFreezeWindowMs() throws Exception {
        assertThat(backups("--json")).as(err.toString()).isZero();
        List<String> lines = out.toString().lines().toList();
        Map<String, Object> first = (Map<String, Object>) JSON.std.anyFrom(lines.get(0));
        assertThat(first)
                .containsEntry("freezeWindowMs", 2480)
                .containsEntry("ioFrozenMs", 655)
                .containsEntry("ioFrozenBy", "hook-script")
                .containsEntry("appHeldMs", 1210);
        assertThat((List<Object>) first.get("appHeld")).hasSize(2);
        Map<String, Object> old = (Map<String, Object>) JSON.std.anyFrom(lines.get(1));
        assertThat(old)
                .containsEntry("ioFrozenMs", null)
                .containsEntry("ioFrozenBy", null)
                .containsEntry("appHeldMs", null);
    }
}
