package dev.stillpoint.engine.backup;

import dev.stillpoint.engine.catalog.Consistency;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GuestReportsTest {
    @Test
    void hooksSucceededOnlyWhenEveryHookReportsSuccess() {
        assertThat(GuestReports.hooksSucceeded("{\"hooks\":[{\"name\":\"a\",\"ok\":true},{\"exitCode\":0}]}")).isTrue();
        assertThat(GuestReports.hooksSucceeded("{\"results\":[{\"status\":\"OK\"}]}")).isTrue();
        assertThat(GuestReports.hooksSucceeded("{\"hooks\":[{\"ok\":true},{\"exitCode\":3}]}")).isFalse();
        assertThat(GuestReports.hooksSucceeded("{\"hooks\":[]}")).isFalse();
        assertThat(GuestReports.hooksSucceeded("{\"ok\":false,\"hooks\":[{\"ok\":true}]}")).isFalse();
        assertThat(GuestReports.hooksSucceeded("not json")).isFalse();
        // stillpoint-guest's own verdict
        assertThat(GuestReports.hooksSucceeded("{\"operation\":\"freeze+thaw\",\"consistency\":\"application\",\"errors\":[]}")).isTrue();
        assertThat(GuestReports.hooksSucceeded("{\"consistency\":\"application\",\"errors\":[\"pg thaw failed\"]}")).isFalse();
        assertThat(GuestReports.hooksSucceeded("{\"consistency\":\"filesystem\",\"hooks\":[{\"ok\":true}]}")).isFalse();
        assertThat(GuestReports.hooksSucceeded("{\"consistency\":\"none\",\"result\":\"failed\"}")).isFalse();
    }

    @Test
    void consistencyNeedsAFreshReport() {
        String ok = "{\"hooks\":[{\"ok\":true}]}";
        assertThat(GuestReports.consistency(false, null, ok)).isEqualTo(Consistency.CRASH);
        assertThat(GuestReports.consistency(true, null, null)).isEqualTo(Consistency.FILESYSTEM);
        assertThat(GuestReports.consistency(true, ok, ok)).isEqualTo(Consistency.FILESYSTEM);
        assertThat(GuestReports.consistency(true, null, ok)).isEqualTo(Consistency.APPLICATION);
    }
}
