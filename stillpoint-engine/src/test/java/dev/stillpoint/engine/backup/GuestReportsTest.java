package dev.stillpoint.engine.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.engine.catalog.Consistency;
import dev.stillpoint.guest.contract.GoldenReport;
import org.junit.jupiter.api.Test;

class GuestReportsTest {
    @Test
    void hooksSucceededOnlyWhenEveryHookReportsSuccess() {
        assertThat(GuestReports.hooksSucceeded("{\"hooks\":[{\"name\":\"a\",\"ok\":true},{\"exitCode\":0}]}"))
                .isTrue();
        assertThat(GuestReports.hooksSucceeded("{\"results\":[{\"status\":\"OK\"}]}"))
                .isTrue();
        assertThat(GuestReports.hooksSucceeded("{\"hooks\":[{\"ok\":true},{\"exitCode\":3}]}"))
                .isFalse();
        assertThat(GuestReports.hooksSucceeded("{\"hooks\":[]}")).isFalse();
        assertThat(GuestReports.hooksSucceeded("{\"ok\":false,\"hooks\":[{\"ok\":true}]}"))
                .isFalse();
        assertThat(GuestReports.hooksSucceeded("not json")).isFalse();
        // stillpoint-guest's own verdict
        assertThat(GuestReports.hooksSucceeded(
                        "{\"operation\":\"freeze+thaw\",\"consistency\":\"application\",\"errors\":[]}"))
                .isTrue();
        assertThat(GuestReports.hooksSucceeded("{\"consistency\":\"application\",\"errors\":[\"pg thaw failed\"]}"))
                .isFalse();
        assertThat(GuestReports.hooksSucceeded("{\"consistency\":\"filesystem\",\"hooks\":[{\"ok\":true}]}"))
                .isFalse();
        assertThat(GuestReports.hooksSucceeded("{\"consistency\":\"none\",\"result\":\"failed\"}"))
                .isFalse();
    }

    @Test
    void consistencyNeedsAFreshReport() {
        String ok = "{\"hooks\":[{\"ok\":true}]}";
        assertThat(GuestReports.consistency(false, null, ok)).isEqualTo(Consistency.CRASH);
        assertThat(GuestReports.consistency(true, null, null)).isEqualTo(Consistency.FILESYSTEM);
        assertThat(GuestReports.consistency(true, ok, ok)).isEqualTo(Consistency.FILESYSTEM);
        assertThat(GuestReports.consistency(true, null, ok)).isEqualTo(Consistency.APPLICATION);
    }

    /** The golden report of stillpoint-guest-contract (the guest's tests read it too). */
    @Test
    void theGoldenReportIsReadThroughTheContract() {
        String golden = GoldenReport.text();
        assertThat(GuestReports.thawedByWatchdog(golden)).isTrue();
        assertThat(GuestReports.hooksSucceeded(golden)).isFalse(); // consistency filesystem
        assertThat(GuestReports.consistency(true, null, golden))
                .as("thawed by the watchdog")
                .isEqualTo(Consistency.CRASH);
        String ok = golden.replace("\"result\" : \"thawed-by-watchdog\"", "\"result\" : \"ok\"")
                .replace("\"consistency\" : \"filesystem\"", "\"consistency\" : \"application\"");
        assertThat(ok).isNotEqualTo(golden);
        assertThat(GuestReports.thawedByWatchdog(ok)).isFalse();
        assertThat(GuestReports.consistency(true, golden, ok)).isEqualTo(Consistency.APPLICATION);
        assertThat(GuestReports.hooksSucceeded(ok.replace("\"errors\" : [ ]", "\"errors\" : [ \"pg thaw failed\" ]")))
                .isFalse();
        assertThat(GuestReports.hooksSucceeded(ok.replace("\"freezeWindowMs\" : 812", "\"freezeWindowMs\" : \"812\"")))
                .as("a stillpoint-guest report with a field of the wrong type is not trusted")
                .isFalse();
    }
}
