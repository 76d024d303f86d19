package dev.stillpoint.engine.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FreezeLogAnalyzerTest {
    /** Seed 003: the $SNAPLOG written by the Caché pre-freeze / post-thaw scripts. */
    static final String SNAPSHOT_LOG = """

            Wed Jan 4 16:30:35 EST 2017: Pre freeze script started
            Wed Jan 4 16:30:35 EST 2017: Attempting to freeze H20152
            Wed Jan 4 16:30:36 EST 2017: H20152 IS FROZEN
            Wed Jan 4 16:30:36 EST 2017: Completed freeze of H20152
            Wed Jan 4 16:30:36 EST 2017: Pre freeze script finished

            Wed Jan 4 16:30:41 EST 2017: Post thaw script started
            Wed Jan 4 16:30:41 EST 2017: Attempting to thaw H20152
            Wed Jan 4 16:30:42 EST 2017: H20152 IS THAWED
            Wed Jan 4 16:30:42 EST 2017: Completed thaw of H20152
            Wed Jan 4 16:30:42 EST 2017: Post thaw script finished
            """;

    /** Seed 003: the instance's $LOGFILE from Backup.General.ExternalFreeze / ExternalThaw. */
    static final String BACKUP_LOG = """
            01/04/2017 16:30:35: Backup.General.ExternalFreeze: Suspending system

            Journal file switched to:
            /trak/jnl/jrnpri/h20152/H20152_20170104.011
            01/04/2017 16:30:35: Backup.General.ExternalFreeze: Start a journal restore for this backup with journal file: /trak/jnl/jrnpri/h20152/H20152_20170104.011
            Journal marker set at
            offset 197192 of /trak/jnl/jrnpri/h20152/H20152_20170104.011
            01/04/2017 16:30:36: Backup.General.ExternalFreeze: System suspended
            01/04/2017 16:30:41: Backup.General.ExternalThaw: Resuming system
            01/04/2017 16:30:42: Backup.General.ExternalThaw: System resumed
            """;

    @TempDir
    Path dir;

    private final FreezeLogAnalyzer analyzer = new FreezeLogAnalyzer();

    private Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void seedSnapshotLogGivesSixSecondWindow() throws Exception {
        FreezeLogAnalysis a = analyzer.analyze(List.of(write("snapshot.log", SNAPSHOT_LOG)));
        assertThat(a.windows()).singleElement().satisfies(w -> {
            assertThat(w.key()).isEqualTo("H20152");
            assertThat(w.format()).isEqualTo(FreezeLogFormat.CACHE_SNAPSHOT_LOG);
            assertThat(w.outcome()).isEqualTo(FreezeWindow.Outcome.THAWED);
            assertThat(w.durationMs()).isEqualTo(6000);
            assertThat(w.frozenAt().toString()).isEqualTo("2017-01-04T16:30:36-05:00");
            assertThat(w.line()).isEqualTo(4);
        });
        assertThat(a.anomalies()).isEmpty();
        assertThat(a.warnings()).isEmpty();
    }

    @Test
    void seedBackupLogSuspendedToResumed() throws Exception {
        FreezeLogAnalysis a = analyzer.analyze(List.of(write("H20152-pre_post.log", BACKUP_LOG)));
        assertThat(a.windows()).singleElement().satisfies(w -> {
            assertThat(w.key()).isEqualTo("H20152");
            assertThat(w.format()).isEqualTo(FreezeLogFormat.CACHE_BACKUP_LOG);
            assertThat(w.durationMs()).isEqualTo(6000);
        });
        assertThat(a.files())
                .singleElement()
                .satisfies(f -> assertThat(f.formats()).containsExactly("cache-backup-log"));
    }

    @Test
    void bothCacheLogsTogetherAreNotCrossPaired() throws Exception {
        FreezeLogAnalysis a = analyzer.analyze(
                List.of(write("snapshot.log", SNAPSHOT_LOG), write("H20152-pre_post.log", BACKUP_LOG)));
        assertThat(a.windows())
                .hasSize(2)
                .allSatisfy(w -> assertThat(w.durationMs()).isEqualTo(6000));
        assertThat(a.anomalies()).isEmpty();
        assertThat(a.stats()).isEqualTo(new DurationStats(2, 6000, 6000, 6000, 6000, 12000));
    }

    @Test
    void vmwareSampleHookWritesFreezeAndThawIntoTwoFilesThatPairUp() throws Exception {
        // seed 000: LOGFILE=/var/log/vmware-tools-backup-`hostname`-`whoami`-$1.log; date; echo freeze
        Path freeze = write("vmware-tools-backup-db1-root-freeze.log", """
                Sat Mar  2 03:00:01 JST 2024
                freeze
                Sun Mar  3 03:00:01 JST 2024
                freeze
                """);
        Path thaw = write("vmware-tools-backup-db1-root-thaw.log", """
                Sat Mar  2 03:00:04 JST 2024
                thaw
                """);
        Path fail =
                write("vmware-tools-backup-db1-root-freezeFail.log", "Sun Mar  3 03:00:30 JST 2024\r\nfreezefail\r\n");
        FreezeLogAnalysis a = analyzer.analyze(List.of(thaw, fail, freeze));
        assertThat(a.windows())
                .extracting(FreezeWindow::outcome)
                .containsExactly(FreezeWindow.Outcome.THAWED, FreezeWindow.Outcome.FREEZE_FAILED);
        assertThat(a.windows()).extracting(FreezeWindow::durationMs).containsExactly(3000L, 29000L);
        assertThat(a.windows()).extracting(FreezeWindow::key).containsOnly("vmware-tools-backup-db1-root");
        assertThat(a.stats().count()).isEqualTo(1);
    }

    @Test
    void otherLocalesAndWindowsSampleLogs() throws Exception {
        Path ja = write("qemu-ga-db1-root-freeze.log", "2024年  3月  2日 土曜日 03:00:01 JST\nfreeze\n");
        Path jaThaw = write("qemu-ga-db1-root-thaw.log", "2024年  3月  2日 土曜日 03:00:02 JST\nthaw\n");
        // VMware Windows sample: echo %date% %time% >> C:\freeeze.log ; echo freeze >> C:\freeeze.log
        Path winFreeze = write("freeeze.log", "\uFEFF2024/03/02  3:00:01.25 \r\nfreeze \r\n");
        Path winThaw = write("thaw.log", "2024/03/02  3:00:01.75 \r\nthaw \r\n");
        // Nutanix Windows sample: echo %date% %time% Running pre_freeze script >> ...pre_freeze_log.txt
        Path ntxFreeze = write("pre_freeze_log.txt", "Sat 03/02/2024  3:00:05.10 Running pre_freeze script\n");
        Path ntxThaw = write("post_thaw_log.txt", "Sat 03/02/2024  3:00:07.60 Running post_thaw script\n");
        FreezeLogAnalysis a = analyzer.analyze(List.of(ja, jaThaw, winFreeze, winThaw, ntxFreeze, ntxThaw));
        assertThat(a.anomalies()).isEmpty();
        assertThat(a.warnings()).isEmpty();
        // JST 03:00 is 18:00 UTC the day before; times without a zone sort as if UTC
        assertThat(a.windows())
                .extracting(FreezeWindow::key, FreezeWindow::durationMs)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("qemu-ga-db1-root", 1000L),
                        org.assertj.core.groups.Tuple.tuple("hook", 500L),
                        org.assertj.core.groups.Tuple.tuple("hook", 2500L));
    }

    @Test
    void thawWithoutFreezeAndFreezeWithoutThawAreAnomalies() throws Exception {
        Path p = write("ngt-thaw-db1-root.log", "Sat Mar  2 03:00:04 UTC 2024\nthaw\n");
        Path q = write("ngt-freeze-db1-root.log", "Sat Mar  2 03:00:06 UTC 2024\nfreeze\nfreeze\n");
        FreezeLogAnalysis a = analyzer.analyze(List.of(p, q));
        assertThat(a.windows()).singleElement().satisfies(w -> {
            assertThat(w.outcome()).isEqualTo(FreezeWindow.Outcome.NO_THAW);
            assertThat(w.durationMs()).isNull();
            assertThat(w.key()).isEqualTo("ngt-db1-root");
        });
        assertThat(a.anomalies()).hasSize(2);
        assertThat(a.anomalies().get(0).message()).contains("without a freeze");
        assertThat(a.anomalies().get(1).message()).contains("no thaw");
        // the second "freeze" line has no date line before it
        assertThat(a.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.line()).isEqualTo(3));
        assertThat(a.stats()).isNull();
    }

    @Test
    void doubledFreezeIsCountedNotPaired() throws Exception {
        // seed 000 pitfall: freeze.bat and thaw.bat both run at freeze time
        Path p = write("sample.log", """
                Sat Mar  2 03:00:01 UTC 2024
                freeze
                Sat Mar  2 03:00:01 UTC 2024
                freeze
                Sat Mar  2 03:00:09 UTC 2024
                thaw
                """);
        FreezeLogAnalysis a = analyzer.analyze(List.of(p));
        assertThat(a.windows()).singleElement().satisfies(w -> {
            assertThat(w.extraFreezes()).isEqualTo(1);
            assertThat(w.durationMs()).isEqualTo(8000);
        });
    }

    @Test
    void cacheFailuresAreWindowsWithTheirOutcome() throws Exception {
        Path p = write("snapshot.log", """
                Wed Jan 4 16:30:36 EST 2017: H1 FREEZE FAILED
                Wed Jan 4 16:30:36 EST 2017: H2 IS FROZEN
                Wed Jan 4 16:30:50 EST 2017: H2 THAW FAILED
                """);
        FreezeLogAnalysis a = analyzer.analyze(List.of(p));
        assertThat(a.windows())
                .extracting(FreezeWindow::key, FreezeWindow::outcome)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("H1", FreezeWindow.Outcome.FREEZE_FAILED),
                        org.assertj.core.groups.Tuple.tuple("H2", FreezeWindow.Outcome.THAW_FAILED));
    }

    @Test
    void stillpointReportsObjectArrayAndJsonLines() throws Exception {
        Path one = write("last-report.json", """
                {
                  "vm": "db1",
                  "frozenAt": "2026-11-22T19:00:00.250Z",
                  "thawedAt": "2026-11-22T19:00:01.500Z",
                  "freezeWindowMs": 1250,
                  "hooks": [ {"name": "10-postgres", "phase": "freeze", "exitCode": 0, "durationMs": 120},
                             {"path": "/etc/stillpoint/hooks/20-x", "phase": "thaw", "exitCode": 3} ],
                  "somethingNew": {"ignored": true}
                }
                """);
        Path lines = write("reports.jsonl", """
                {"freezeWindowMs": 900.6, "startedAt": 1700000000000}
                {"freezeWindowMs": 100}
                """);
        FreezeLogAnalysis a = analyzer.analyze(List.of(one, lines));
        assertThat(a.windows()).extracting(FreezeWindow::durationMs).containsExactly(901L, 1250L, 100L);
        FreezeWindow w = a.windows().get(1);
        assertThat(w.key()).isEqualTo("stillpoint:db1");
        assertThat(w.frozenAt().toString()).isEqualTo("2026-11-22T19:00:00.250Z");
        assertThat(w.endedAt().toString()).isEqualTo("2026-11-22T19:00:01.500Z");
        assertThat(w.hooks())
                .containsExactly(
                        new FreezeWindow.HookRun("10-postgres", "freeze", null, 0, 120L),
                        new FreezeWindow.HookRun("/etc/stillpoint/hooks/20-x", "thaw", null, 3, null));
        assertThat(a.windows().get(2).frozenAt()).isNull();
        assertThat(a.stats().median()).isEqualTo(901);
    }

    @Test
    void guestReportShapeWithResultsAndDerivedFreezeStart() throws Exception {
        // the shape stillpoint-guest writes (wip/guest QuiesceRunner): startedAt is the operation start
        Path ok = write("last-report.json", """
                {"version": 1, "operation": "freeze+thaw", "root": "/", "startedAt": "2026-11-22T19:00:00Z",
                 "hooks": [{"group": "vmware", "name": "10-sample.sh", "phase": "freeze", "rollback": false,
                            "result": "ok", "exitCode": 0, "durationMs": 15, "attempts": 1,
                            "startedAt": "2026-11-22T19:00:00.100Z"}],
                 "consistency": "application", "fsfreeze": "runner", "frozenMounts": ["/data"],
                 "freezeWindowMs": 2500, "thawedAt": "2026-11-22T19:00:03.000Z", "errors": [], "result": "ok",
                 "finishedAt": "2026-11-22T19:00:03.100Z"}
                """);
        Path watchdog = write(
                "r-watchdog.json",
                "{\"startedAt\": \"2026-11-22T20:00:00Z\", \"freezeWindowMs\": 600000, \"result\": \"thawed-by-watchdog\"}");
        Path frozen = write("r-frozen.json", "{\"startedAt\": \"2026-11-22T21:00:00Z\", \"result\": \"frozen\"}");
        FreezeLogAnalysis a = analyzer.analyze(List.of(ok, watchdog, frozen));
        assertThat(a.windows())
                .extracting(FreezeWindow::outcome)
                .containsExactly(
                        FreezeWindow.Outcome.THAWED,
                        FreezeWindow.Outcome.THAWED_BY_WATCHDOG,
                        FreezeWindow.Outcome.NO_THAW);
        FreezeWindow w = a.windows().getFirst();
        assertThat(w.frozenAt().toString()).isEqualTo("2026-11-22T19:00:00.500Z"); // thawedAt - freezeWindowMs
        assertThat(w.hooks()).containsExactly(new FreezeWindow.HookRun("10-sample.sh", "freeze", "ok", 0, 15L));
        assertThat(a.windows().get(2).durationMs()).isNull();
        assertThat(a.stats().count()).isEqualTo(2);
        assertThat(a.stats().max()).isEqualTo(600000);
        Path thawedWithoutWindow = write("r-bad.json", "{\"result\": \"ok\"}");
        assertThatThrownBy(() -> analyzer.analyze(List.of(thawedWithoutWindow))).hasMessageContaining("freezeWindowMs");
    }

    /**
     * Files written by a real run (2026-11-22): `stillpoint guest freeze --root R --no-fsfreeze`, 3 s,
     * `stillpoint guest thaw --root R`, with seed 000's VMware sample hook in R/etc/vmware-tools/backupScripts.d
     * logging to R/var/log. The hook logs have whole seconds (`date`), the report milliseconds.
     */
    @Test
    void filesFromARealGuestRunnerCycle() throws Exception {
        List<Path> files = new ArrayList<>();
        for (String name : List.of(
                "vmware-tools-backup-vm-root-freeze.log",
                "vmware-tools-backup-vm-root-thaw.log",
                "guest-last-report.json")) {
            try (var in = getClass().getResourceAsStream(name)) {
                files.add(write(name, new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)));
            }
        }
        FreezeLogAnalysis a = analyzer.analyze(files);
        assertThat(a.anomalies()).isEmpty();
        assertThat(a.warnings()).isEmpty();
        assertThat(a.windows())
                .extracting(FreezeWindow::format, FreezeWindow::durationMs)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(FreezeLogFormat.HOOK_LOG, 3000L),
                        org.assertj.core.groups.Tuple.tuple(FreezeLogFormat.STILLPOINT_REPORT, 3113L));
        FreezeWindow report = a.windows().get(1);
        assertThat(report.frozenAt().toString()).isEqualTo("2026-11-22T19:41:48.160Z");
        assertThat(report.hooks())
                .extracting(FreezeWindow.HookRun::phase, FreezeWindow.HookRun::result)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("freeze", "ok"),
                        org.assertj.core.groups.Tuple.tuple("thaw", "ok"));
    }

    /** The golden report of stillpoint-guest-contract (the guest's tests read it too). */
    @Test
    void theGoldenGuestReport() throws Exception {
        Path golden = write("last-report.json", dev.stillpoint.guest.contract.GoldenReport.text());
        FreezeWindow w = analyzer.analyze(List.of(golden)).windows().getFirst();
        assertThat(w.format()).isEqualTo(FreezeLogFormat.STILLPOINT_REPORT);
        assertThat(w.outcome()).isEqualTo(FreezeWindow.Outcome.THAWED_BY_WATCHDOG);
        assertThat(w.durationMs()).isEqualTo(812L);
        assertThat(w.endedAt().toString()).isEqualTo("2026-11-22T19:31:03.850Z");
        assertThat(w.frozenAt().toString()).isEqualTo("2026-11-22T19:31:03.038Z"); // thawedAt - freezeWindowMs
        assertThat(w.hooks())
                .containsExactly(
                        new FreezeWindow.HookRun("/opt/app/pre.sh", "freeze", "failed", 1, 31L),
                        new FreezeWindow.HookRun("/etc/vmware-tools/backupScripts.d/10-db", "freeze", "ok", 0, 12L),
                        new FreezeWindow.HookRun("app:postgresql", "freeze", "not-started", -1, 0L),
                        new FreezeWindow.HookRun("/etc/vmware-tools/backupScripts.d/10-db", "thaw", "ok", 0, 9L));
    }

    @Test
    void reportWithoutWindowOrWithBadTimeFailsNamingFileAndField() throws Exception {
        Path noWindow = write("r1.json", "{\"frozenAt\": \"2026-11-22T19:00:00Z\"}");
        assertThatThrownBy(() -> analyzer.analyze(List.of(noWindow)))
                .isInstanceOfSatisfying(
                        DiagnosticsException.class,
                        e -> assertThat(e.code()).isEqualTo(DiagnosticsException.Code.BAD_FORMAT))
                .hasMessageContaining("r1.json")
                .hasMessageContaining("freezeWindowMs")
                .hasMessageContaining("missing");
        Path badTime = write("r2.json", "{\"freezeWindowMs\": 5, \"thawedAt\": \"yesterday\"}");
        assertThatThrownBy(() -> analyzer.analyze(List.of(badTime)))
                .hasMessageContaining("r2.json")
                .hasMessageContaining("thawedAt")
                .hasMessageContaining("yesterday");
        Path broken = write("r3.json", "{\"freezeWindowMs\": ");
        assertThatThrownBy(() -> analyzer.analyze(List.of(broken)))
                .hasMessageContaining("r3.json")
                .hasMessageContaining("not valid JSON");
    }

    @Test
    void missingFileIsReportedBeforeAnyIsRead() throws Exception {
        Path ok = write("snapshot.log", SNAPSHOT_LOG);
        Path missing = dir.resolve("nope.log");
        assertThatThrownBy(() -> analyzer.analyze(List.of(ok, missing)))
                .isInstanceOfSatisfying(
                        DiagnosticsException.class,
                        e -> assertThat(e.code()).isEqualTo(DiagnosticsException.Code.FILE_NOT_FOUND))
                .hasMessageContaining("nope.log");
    }

    @Test
    void emptyAndTruncatedFiles() throws Exception {
        Path empty = write("empty.log", "");
        Path truncated = write("snap.log", "Wed Jan 4 16:30:36 EST 2017: H20152 IS FRO\nWed Jan 4 16:3");
        FreezeLogAnalysis a = analyzer.analyze(List.of(empty, truncated));
        assertThat(a.windows()).isEmpty();
        assertThat(a.stats()).isNull();
        assertThat(a.files()).extracting(FreezeLogAnalysis.FileSummary::entries).containsExactly(0, 0);
    }

    @Test
    void hookKeys() {
        List<String> keys = new ArrayList<>();
        for (String f : List.of(
                "/var/log/vmware-tools-backup-db1-root-freeze.log",
                "/var/log/ngt-thaw-db1-root.log",
                "C:\\freeeze.log",
                "C:\\freeezefail.log",
                "thaw.log",
                "pre_freeze_log.txt",
                "qemu-ga-h-root-thaw.log.gz")) {
            keys.add(FreezeLogParser.hookKey(f));
        }
        assertThat(keys)
                .containsExactly(
                        "vmware-tools-backup-db1-root",
                        "ngt-db1-root",
                        "hook",
                        "hook",
                        "hook",
                        "hook",
                        "qemu-ga-h-root");
    }

    @Test
    void timeFormats() {
        assertThat(LogTimes.parse("Wed Jan  4 04:30:35 PM EST 2017")
                        .orElseThrow()
                        .toString())
                .isEqualTo("2017-01-04T16:30:35-05:00");
        assertThat(LogTimes.parse("Wed Jan  4 12:05:00 AM UTC 2017")
                        .orElseThrow()
                        .toString())
                .isEqualTo("2017-01-04T00:05:00Z");
        assertThat(LogTimes.parse("Wed Jan  4 16:30:35 XYZT 2017").orElseThrow().zoneKnown())
                .isFalse();
        assertThat(LogTimes.parse("2017-01-04 16:30:35+0900").orElseThrow().toString())
                .isEqualTo("2017-01-04T16:30:35+09:00");
        assertThat(LogTimes.parse("Wed 13/45/2017 10:00:00")).isEmpty();
        assertThat(LogTimes.parse("freeze")).isEmpty();
    }
}
