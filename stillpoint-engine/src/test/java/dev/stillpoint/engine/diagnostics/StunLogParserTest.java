package dev.stillpoint.engine.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StunLogParserTest {
    /** The lines of seed 003 ({@code grep Unstun vmware.log}), including grep's "---" separator. */
    static final List<String> SEED_003 = List.of(
            "2017-01-04T21:30:19.662Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 1091706 us",
            "---",
            "2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 38123 us",
            "2017-01-04T22:15:59.573Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 298346 us",
            "2017-01-04T22:16:03.672Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 301099 us",
            "2017-01-04T22:16:06.471Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 341616 us",
            "2017-01-04T22:16:24.813Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 264392 us",
            "2017-01-04T22:16:30.921Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 221633 us");

    private final StunLogParser parser = new StunLogParser();

    @TempDir
    Path dir;

    @Test
    void readsSeedLinesWithTimeValueAndThread() {
        StunLog log = parser.parse("vmware.log", SEED_003, LocalDate.of(2017, 1, 5));
        assertThat(log.events()).hasSize(7);
        assertThat(log.warnings()).isEmpty();
        StunEvent first = log.events().getFirst();
        assertThat(first.time().toString()).isEqualTo("2017-01-04T21:30:19.662Z");
        assertThat(first.micros()).isEqualTo(1_091_706L);
        assertThat(first.thread()).isEqualTo("vcpu-0");
        assertThat(first.line()).isEqualTo(1);
        assertThat(log.events().get(1).line()).isEqualTo(3);
    }

    @Test
    void readsSeedSpellingWithoutUnderscoreEsxi7FormatAndGrepPrefix() {
        StunLog log = parser.parse(
                "x",
                List.of(
                        "2017-01-04T22:15:58.846Z| vcpu-0| I125: CheckpointUnstun: vm stopped for 38123 us",
                        "2022-06-14T07:48:02.373Z In(05) vcpu-3 - Checkpoint_Unstun: vm stopped for 305880 us",
                        "vmware-1.log:2017-01-04T22:15:59.573+09:00| vmx| I125: Checkpoint_Unstun: vm stopped for 7 us"),
                LocalDate.of(2023, 1, 1));
        assertThat(log.events()).extracting(StunEvent::micros).containsExactly(38123L, 305880L, 7L);
        assertThat(log.events()).extracting(StunEvent::thread).containsExactly("vcpu-0", "vcpu-3", "vmx");
        assertThat(log.events().get(2).time().toString()).isEqualTo("2017-01-04T22:15:59.573+09:00");
    }

    @Test
    void valuesBeyondIntAreKeptAndBeyondLongAreSkippedWithWarning() {
        StunLog log = parser.parse(
                "v.log",
                List.of(
                        "2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 4294967296123 us",
                        "2017-01-04T22:15:59.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 99999999999999999999 us"),
                LocalDate.of(2017, 2, 1));
        assertThat(log.events()).extracting(StunEvent::micros).containsExactly(4_294_967_296_123L);
        assertThat(log.warnings()).singleElement().satisfies(w -> {
            assertThat(w.line()).isEqualTo(2);
            assertThat(w.message()).contains("99999999999999999999").contains("exceeds");
        });
    }

    @Test
    void truncatedLinesAreSkippedWithLineNumbers() {
        StunLog log = parser.parse(
                "v.log",
                List.of(
                        "2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 3812",
                        "2017-01-04T22:15:58.846Z| vcpu-0| I125: Checkpoint_Uns",
                        "pu-0| I125: Checkpoint_Unstun: vm stopped for 38123 us",
                        "2017-01-04T22:16:00.000Z| vcpu-1| I125: Checkpoint_Unstun: vm stopped for 5 us"),
                LocalDate.of(2017, 2, 1));
        assertThat(log.events()).extracting(StunEvent::line).containsExactly(4);
        assertThat(log.warnings()).extracting(ParseWarning::line).containsExactly(1, 3);
        assertThat(log.warnings().get(1).message()).contains("without a timestamp");
    }

    @Test
    void yearlessTimestampsRollOverIntoTheModificationYear() {
        StunLog log = parser.parse(
                "old.log",
                List.of(
                        "Dec 31 23:59:58.100: vcpu-0| Checkpoint_Unstun: vm stopped for 100 us",
                        "Jan 01 00:00:03.200: vcpu-1| Checkpoint_Unstun: vm stopped for 200 us"),
                LocalDate.of(2021, 3, 1));
        assertThat(log.events())
                .extracting(e -> e.time().toString())
                .containsExactly("2020-12-31T23:59:58.100", "2021-01-01T00:00:03.200");
        assertThat(log.warnings())
                .singleElement()
                .satisfies(w -> assertThat(w.message()).contains("no year"));
    }

    @Test
    void yearlessLastDateAfterModificationDateBelongsToTheYearBefore() {
        StunLog log = parser.parse(
                "old.log",
                List.of("Nov 30 10:00:00.000: vcpu-0| Checkpoint_Unstun: vm stopped for 100 us"),
                LocalDate.of(2021, 1, 2));
        assertThat(log.events().getFirst().time().local()).isEqualTo(LocalDateTime.of(2020, 11, 30, 10, 0));
    }

    @Test
    void markersNameTheOperation() {
        StunLog log = parser.parse(
                "v.log",
                List.of(
                        "2017-01-04T21:30:18.000Z| vmx| I125: SnapshotVMX_TakeSnapshot start: 'VEEAM BACKUP TEMPORARY SNAPSHOT', quiesced=1",
                        "2017-01-04T22:15:50.000Z| vmx| I125: SnapshotVMXConsolidateOnlineCB: Starting online consolidation",
                        "2017-01-04T22:15:51.000Z| vmx| I125: hello"),
                LocalDate.of(2017, 2, 1));
        assertThat(log.markers())
                .extracting(OperationMarker::kind)
                .containsExactly(OperationKind.CREATE, OperationKind.CONSOLIDATE);
    }

    @Test
    void readsCrlfGzipAndBom() throws Exception {
        Path plain = dir.resolve("vmware.log");
        Files.writeString(plain, "\uFEFF" + String.join("\r\n", SEED_003) + "\r\n", StandardCharsets.UTF_8);
        Path gz = dir.resolve("vmware-1.log.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(String.join("\n", SEED_003).getBytes(StandardCharsets.UTF_8));
        }
        for (Path p : List.of(plain, gz)) {
            StunLog log = parser.parse(p);
            assertThat(log.events()).hasSize(7);
            assertThat(log.warnings()).isEmpty();
            assertThat(log.events().getLast().micros()).isEqualTo(221633L);
        }
    }

    @Test
    void truncatedGzipKeepsWhatWasRead() throws Exception {
        Path gz = dir.resolve("vmware-2.log.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            for (int i = 0; i < 2000; i++) {
                out.write((SEED_003.get(2) + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        byte[] all = Files.readAllBytes(gz);
        Files.write(gz, java.util.Arrays.copyOf(all, all.length - 20));
        StunLog log = parser.parse(gz);
        assertThat(log.warnings()).anySatisfy(w -> assertThat(w.message()).contains("compressed stream"));
        assertThat(log.events()).isNotEmpty();
    }

    @Test
    void emptyFileGivesNoEvents() throws Exception {
        Path empty = Files.createFile(dir.resolve("vmware.log"));
        Files.setLastModifiedTime(empty, FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
        StunLog log = parser.parse(empty);
        assertThat(log.events()).isEmpty();
        assertThat(log.warnings()).isEmpty();
    }

    @Test
    void missingFileFailsWithCodeAndName() {
        Path missing = dir.resolve("vmware-9.log");
        assertThatThrownBy(() -> parser.parse(missing))
                .isInstanceOfSatisfying(
                        DiagnosticsException.class,
                        e -> assertThat(e.code()).isEqualTo(DiagnosticsException.Code.FILE_NOT_FOUND))
                .hasMessageContaining(missing.toString());
        assertThatThrownBy(() -> parser.parse(dir))
                .isInstanceOfSatisfying(
                        DiagnosticsException.class,
                        e -> assertThat(e.code()).isEqualTo(DiagnosticsException.Code.NOT_A_FILE));
    }
}
