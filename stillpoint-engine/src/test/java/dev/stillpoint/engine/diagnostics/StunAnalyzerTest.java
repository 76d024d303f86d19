package dev.stillpoint.engine.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StunAnalyzerTest {
    private final StunLogParser parser = new StunLogParser();
    private final StunAnalyzer analyzer = new StunAnalyzer();

    private StunAnalysis analyze(List<String> lines, StunAnalyzer.Options options) {
        StunLog log = parser.parse("vmware.log", lines, LocalDate.of(2017, 2, 1));
        return analyzer.analyze(List.of("vmware.log"), List.of(log), options);
    }

    private static StunAnalyzer.Options qos(long seconds) {
        return new StunAnalyzer.Options(StunAnalyzer.Options.DEFAULT_GROUP_GAP, seconds * 1_000_000, 3);
    }

    @Test
    void seedStatisticsAndGroups() {
        StunAnalysis a = analyze(StunLogParserTest.SEED_003, StunAnalyzer.Options.defaults());
        // sorted: 38123 221633 264392 298346 301099 341616 1091706
        assertThat(a.stats()).isEqualTo(new DurationStats(7, 38123, 298346, 1091706, 1091706, 2556915));
        assertThat(a.operations()).hasSize(2);
        SnapshotOperation create = a.operations().get(0);
        assertThat(create.kind()).isEqualTo(OperationKind.CREATE);
        assertThat(create.inferred()).isTrue();
        assertThat(create.stuns()).isEqualTo(1);
        SnapshotOperation consolidate = a.operations().get(1);
        assertThat(consolidate.kind()).isEqualTo(OperationKind.CONSOLIDATE);
        assertThat(consolidate.stuns()).isEqualTo(6);
        assertThat(consolidate.maxMicros()).isEqualTo(341616);
        assertThat(consolidate.firstStunEnd().toString()).isEqualTo("2017-01-04T22:15:58.846Z");
        assertThat(consolidate.lastStunEnd().toString()).isEqualTo("2017-01-04T22:16:30.921Z");
        assertThat(a.longest())
                .extracting(e -> e.event().micros())
                .containsExactly(1091706L, 341616L, 301099L, 298346L, 264392L);
        assertThat(a.qos()).isNull();
        assertThat(a.suggestedQosTimeoutSeconds()).isEqualTo(3); // 2 x 1.091706 s = 2.18 s -> 3 s
    }

    @Test
    void qosVerdictsAtHalfAndFullTimeout() {
        List<String> lines = List.of(
                "2017-01-04T22:15:58.000Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 4000000 us",
                "2017-01-04T22:15:59.000Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 4000001 us",
                "2017-01-04T22:16:00.000Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 7999999 us",
                "2017-01-04T22:16:01.000Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 8000000 us");
        StunAnalysis a = analyze(lines, qos(8));
        assertThat(a.entries())
                .extracting(StunAnalysis.Entry::verdict)
                .containsExactly(QosVerdict.SAFE, QosVerdict.AT_RISK, QosVerdict.AT_RISK, QosVerdict.FAILOVER);
        assertThat(a.qos()).isEqualTo(new StunAnalysis.QosSummary(8_000_000, 1, 2, 1));
        assertThat(a.suggestedQosTimeoutSeconds()).isEqualTo(16);
    }

    @Test
    void seedIsSafeForDefaultMirrorTimeout() {
        StunAnalysis a = analyze(StunLogParserTest.SEED_003, qos(8));
        assertThat(a.qos().allSafe()).isTrue();
        StunAnalysis tight = analyze(StunLogParserTest.SEED_003, qos(2));
        assertThat(tight.qos()).isEqualTo(new StunAnalysis.QosSummary(2_000_000, 6, 1, 0));
    }

    @Test
    void smallestSafeTimeoutRoundsUpToWholeSeconds() {
        assertThat(QosVerdict.smallestSafeTimeoutSeconds(1)).isEqualTo(1);
        assertThat(QosVerdict.smallestSafeTimeoutSeconds(500_000)).isEqualTo(1);
        assertThat(QosVerdict.smallestSafeTimeoutSeconds(500_001)).isEqualTo(2);
        assertThat(QosVerdict.smallestSafeTimeoutSeconds(7_000_000)).isEqualTo(14);
        assertThat(QosVerdict.smallestSafeTimeoutSeconds(Long.MAX_VALUE)).isPositive();
        // the suggestion is never at risk
        for (long max : new long[] {1, 38123, 1091706, 3_500_001, 4_294_967_296_123L}) {
            long t = QosVerdict.smallestSafeTimeoutSeconds(max) * 1_000_000;
            assertThat(QosVerdict.of(max, t)).isEqualTo(QosVerdict.SAFE);
        }
    }

    @Test
    void markersOverrideInference() {
        List<String> lines = List.of(
                "2017-01-04T21:30:18.000Z| vmx| I125: SnapshotVMX_TakeSnapshot start: 'backup', quiesced=1",
                "2017-01-04T21:30:19.000Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 100 us",
                "2017-01-04T21:30:21.000Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 100 us",
                "2017-01-04T22:15:50.000Z| vmx| I125: Consolidate starts",
                "2017-01-04T22:15:52.000Z| vmx| I125: Intermediate snapshot taken, took 1.8s",
                "2017-01-04T22:15:58.000Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 300 us");
        StunAnalysis a = analyze(lines, StunAnalyzer.Options.defaults());
        assertThat(a.operations())
                .extracting(SnapshotOperation::kind)
                .containsExactly(OperationKind.CREATE, OperationKind.CONSOLIDATE);
        assertThat(a.operations()).extracting(SnapshotOperation::inferred).containsExactly(false, false);
        assertThat(a.operations().get(0).evidence()).singleElement().asString().contains("vmware.log:1:");
    }

    @Test
    void singleStunGroupsAlternateCreateAndConsolidate() {
        List<String> lines = List.of(
                "2017-01-04T01:00:00.000Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 100 us",
                "2017-01-04T01:30:00.000Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 100 us",
                "2017-01-05T01:00:00.000Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 100 us",
                "2017-01-05T01:30:00.000Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 100 us");
        StunAnalysis a = analyze(lines, StunAnalyzer.Options.defaults());
        assertThat(a.operations())
                .extracting(SnapshotOperation::kind)
                .containsExactly(
                        OperationKind.CREATE,
                        OperationKind.CONSOLIDATE,
                        OperationKind.CREATE,
                        OperationKind.CONSOLIDATE);
    }

    @Test
    void rotatedFilesMergeInTimeOrderAndDuplicatesCountOnce() {
        List<String> seed = StunLogParserTest.SEED_003;
        StunLog older = parser.parse("vmware-1.log", seed.subList(0, 3), LocalDate.of(2017, 2, 1));
        StunLog newer = parser.parse("vmware.log", seed.subList(2, seed.size()), LocalDate.of(2017, 2, 1));
        StunAnalysis a = analyzer.analyze(
                List.of("vmware.log", "vmware-1.log"), List.of(newer, older), StunAnalyzer.Options.defaults());
        assertThat(a.entries()).hasSize(7);
        assertThat(a.duplicatesDropped()).isEqualTo(1);
        assertThat(a.entries().getFirst().event().file()).isEqualTo("vmware-1.log");
        assertThat(a.operations()).hasSize(2);
    }

    @Test
    void otherVcpusAndYearRolloverStayInOneOperation() {
        List<String> lines = List.of(
                "2016-12-31T23:59:50.000Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 100 us",
                "2017-01-01T00:00:05.000Z| vcpu-7| I125: Checkpoint_Unstun: vm stopped for 200 us",
                "2017-01-01T00:00:10.000Z| vcpu-12| I125: Checkpoint_Unstun: vm stopped for 300 us");
        StunAnalysis a = analyze(lines, StunAnalyzer.Options.defaults());
        assertThat(a.operations())
                .singleElement()
                .satisfies(op -> assertThat(op.stuns()).isEqualTo(3));
        assertThat(a.entries()).extracting(e -> e.event().thread()).containsExactly("vcpu-0", "vcpu-7", "vcpu-12");
    }

    @Test
    void groupGapIsConfigurable() {
        List<String> lines = new ArrayList<>(StunLogParserTest.SEED_003);
        StunAnalysis a = analyze(lines, new StunAnalyzer.Options(Duration.ofSeconds(10), null, 5));
        // 22:16:06 -> 22:16:24 is 18 s apart
        assertThat(a.operations()).extracting(SnapshotOperation::stuns).containsExactly(1, 4, 2);
    }

    @Test
    void noEventsGiveNoStatistics() {
        StunAnalysis a = analyze(List.of("2017-01-04T21:30:18.000Z| vmx| I125: nothing"), qos(8));
        assertThat(a.stats()).isNull();
        assertThat(a.operations()).isEmpty();
        assertThat(a.suggestedQosTimeoutSeconds()).isZero();
        assertThat(a.qos()).isEqualTo(new StunAnalysis.QosSummary(8_000_000, 0, 0, 0));
    }

    @Test
    void statisticsOfEvenCountAndHugeValues() {
        assertThat(DurationStats.of(List.of(1L, 2L))).isEqualTo(new DurationStats(2, 1, 2, 2, 2, 3));
        assertThat(DurationStats.of(List.of(Long.MAX_VALUE, Long.MAX_VALUE - 1)).median())
                .isEqualTo(Long.MAX_VALUE);
        assertThat(DurationStats.of(List.of(Long.MAX_VALUE, Long.MAX_VALUE)).total())
                .isEqualTo(Long.MAX_VALUE);
        List<Long> hundred = new ArrayList<>();
        for (long i = 1; i <= 100; i++) {
            hundred.add(i);
        }
        assertThat(DurationStats.of(hundred).p95()).isEqualTo(95);
        assertThat(DurationStats.of(hundred).median()).isEqualTo(51); // (50 + 51) / 2 rounded half up
    }
}
