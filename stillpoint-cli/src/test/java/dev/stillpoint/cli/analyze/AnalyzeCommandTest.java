package dev.stillpoint.cli.analyze;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AnalyzeCommandTest {
    static final String SEED_003 = """
            2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 1091706 us
            ---
            2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 38123 us
            2017-01-04T22:15:59.573Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 298346 us
            2017-01-04T22:16:03.672Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 301099 us
            2017-01-04T22:16:06.471Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 341616 us
            2017-01-04T22:16:24.813Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 264392 us
            2017-01-04T22:16:30.921Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 221633 us
            """;

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    private Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> json() throws Exception {
        return (Map<String, Object>) JSON.std.anyFrom(out.toString());
    }

    @Test
    void stunTextAnswersTheSeedQuestion() throws Exception {
        Path log = write("vmware.log", SEED_003);
        assertThat(run("analyze", "stun", log.toString(), "--qos-timeout", "2")).isEqualTo(3); // one stun at risk
        String text = out.toString();
        assertThat(text).contains("Stun time (7 stuns): min 38.1 ms, median 298.3 ms, p95 1.092 s, max 1.092 s");
        assertThat(text).contains("create").contains("consolidate");
        assertThat(text).contains("6 safe, 1 at risk, 0 failover");
        assertThat(text).contains("Verdict: AT RISK");
        assertThat(text).contains("Smallest safe QoS timeout: 3 s");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    @SuppressWarnings("unchecked")
    void stunJsonHasEveryFigure() throws Exception {
        Path log = write("vmware.log", SEED_003.replace("\n", "\r\n"));
        assertThat(run("analyze", "stun", "--json", "--qos-timeout", "0.6", "--top", "2", log.toString()))
                .isEqualTo(3);
        Map<String, Object> j = json();
        assertThat(j.get("stuns")).isEqualTo(7);
        assertThat((Map<String, Object>) j.get("statsUs"))
                .containsEntry("median", 298346)
                .containsEntry("p95", 1091706);
        assertThat((List<Object>) j.get("operations")).hasSize(2);
        assertThat((List<Object>) j.get("longest")).hasSize(2);
        // half of 0.6 s is 300 ms: 38.1, 221.6, 264.4, 298.3 ms safe; 301.1, 341.6 ms at risk; 1.09 s failover
        Map<String, Object> qos = (Map<String, Object>) j.get("qos");
        assertThat(qos)
                .containsEntry("timeoutUs", 600000)
                .containsEntry("safe", 4)
                .containsEntry("atRisk", 2)
                .containsEntry("failover", 1)
                .containsEntry("verdict", "failover");
        List<Map<String, Object>> events = (List<Map<String, Object>>) j.get("events");
        assertThat(events.getFirst())
                .containsEntry("verdict", "failover")
                .containsEntry("line", 1)
                .containsEntry("time", "2017-01-04T21:30:19.662Z");
        assertThat(j.get("suggestedQosTimeoutSeconds")).isEqualTo(3);
    }

    @Test
    void missingFileExitsTwoNamingTheFile() throws Exception {
        Path log = write("vmware.log", SEED_003);
        int rc = run(
                "analyze", "stun", log.toString(), dir.resolve("vmware-1.log").toString());
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString()).contains("vmware-1.log").contains("no such file");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void badOptionsAreUsageErrors() throws Exception {
        Path log = write("vmware.log", SEED_003);
        assertThat(run("analyze", "stun", log.toString(), "--qos-timeout", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--qos-timeout").contains("0");
        assertThat(run("analyze", "stun", log.toString(), "--group-gap", "-5")).isEqualTo(2);
        assertThat(run("analyze", "stun", log.toString(), "--qos-timeout", "8000"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("8000ms");
        assertThat(run("analyze", "stun", log.toString(), "--qos-timeout", "eight"))
                .isEqualTo(2);
        assertThat(run("analyze", "stun")).isEqualTo(2);
    }

    @Test
    void longLogsListOnlyRiskyStunsUnlessAskedForAll() throws Exception {
        StringBuilder log = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            long us = i == 30 ? 5_000_000 : 1_000 + i;
            log.append(String.format(
                    "2017-01-04T22:%02d:%02d.000Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for %d us%n",
                    10 + i / 60, i % 60, us));
        }
        Path p = write("vmware.log", log.toString());
        assertThat(run("analyze", "stun", p.toString(), "--qos-timeout", "8", "--top", "0"))
                .isEqualTo(3); // the 5 s stun is at risk at 8 s
        assertThat(out.toString().lines().filter(l -> l.startsWith("  safe ") || l.startsWith("  at risk ")))
                .hasSize(1);
        assertThat(out.toString()).contains("59 more stun(s) not listed");
        out.getBuffer().setLength(0);
        assertThat(run("analyze", "stun", p.toString(), "--qos-timeout", "8", "--top", "0", "--events"))
                .isEqualTo(3);
        assertThat(out.toString().lines().filter(l -> l.startsWith("  safe ") || l.startsWith("  at risk ")))
                .hasSize(60);
    }

    @Test
    void stunExitsZeroWhenEveryStunIsSafeAndThreeWhenOneIsNot() throws Exception {
        Path log = write("vmware.log", SEED_003);
        assertThat(run("analyze", "stun", log.toString(), "--qos-timeout", "8")).isZero(); // longest 1.09 s <= 4 s
        assertThat(run("analyze", "stun", log.toString())).isZero(); // no timeout, no verdict
        assertThat(run("analyze", "stun", log.toString(), "--qos-timeout", "2")).isEqualTo(3); // 1.09 s > 1 s
        assertThat(run("analyze", "stun", log.toString(), "--qos-timeout", "1"))
                .isEqualTo(3); // 1.09 s >= 1 s: failover
    }

    @Test
    @SuppressWarnings("unchecked")
    void qosTimeoutInMillisecondsOrWithUnit() throws Exception {
        Path log = write("vmware.log", SEED_003);
        for (String t : List.of("2000ms", "2s", "2", "2.0")) {
            out.getBuffer().setLength(0);
            assertThat(run("analyze", "stun", "--json", "--qos-timeout", t, log.toString()))
                    .isEqualTo(3);
            assertThat((Map<String, Object>) json().get("qos"))
                    .containsEntry("timeoutUs", 2_000_000)
                    .containsEntry("atRisk", 1);
        }
    }

    @Test
    void emptyFileIsNotAnError() throws Exception {
        Path log = write("vmware.log", "");
        assertThat(run("analyze", "stun", "--json", log.toString())).isZero();
        Map<String, Object> j = json();
        assertThat(j.get("stuns")).isEqualTo(0);
        assertThat(j).containsEntry("statsUs", null).containsEntry("qos", null);
    }

    @Test
    void truncatedLinesAppearAsWarnings() throws Exception {
        Path log =
                write("vmware.log", SEED_003 + "2017-01-04T22:16:31.000Z| vcpu-1| I125: Checkpoint_Unstun: vm stopp");
        assertThat(run("analyze", "stun", log.toString())).isZero();
        assertThat(out.toString()).contains("Warnings (1):").contains("vmware.log:9:");
    }

    @Test
    void freezeLogTextAndJson() throws Exception {
        Path snap = write("snapshot.log", """
                Wed Jan 4 16:30:36 EST 2017: H20152 IS FROZEN
                Wed Jan 4 16:30:42 EST 2017: H20152 IS THAWED
                """);
        Path report = write("last-report.json", "{\"freezeWindowMs\": 1250, \"frozenAt\": \"2026-11-22T19:00:00Z\"}");
        assertThat(run("analyze", "freeze-log", snap.toString(), report.toString()))
                .isZero();
        assertThat(out.toString())
                .contains("Freeze windows (2):")
                .contains("6.000 s")
                .contains("1.250 s")
                .contains("H20152")
                .contains("stillpoint-report");
        out.getBuffer().setLength(0);
        assertThat(run("analyze", "freeze-log", "--json", snap.toString(), report.toString()))
                .isZero();
        Map<String, Object> j = json();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> windows = (List<Map<String, Object>>) j.get("windows");
        assertThat(windows).extracting(w -> w.get("durationMs")).containsExactly(6000, 1250);
        assertThat(windows.getFirst())
                .containsEntry("outcome", "thawed")
                .containsEntry("format", "cache-snapshot-log")
                .containsEntry("frozenAt", "2017-01-04T16:30:36-05:00");
    }

    @Test
    void badReportExitsTwoNamingFileAndField() throws Exception {
        Path report = write("last-report.json", "{\"hooks\": []}");
        assertThat(run("analyze", "freeze-log", report.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("last-report.json").contains("freezeWindowMs");
    }
}
