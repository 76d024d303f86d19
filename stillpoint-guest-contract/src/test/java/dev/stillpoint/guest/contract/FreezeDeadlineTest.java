package dev.stillpoint.guest.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FreezeDeadlineTest {
    @Test
    void roundTrip() throws Exception {
        FreezeDeadline d = new FreezeDeadline(60, 30);
        assertThat(d.toJson()).isEqualTo("{\"version\":1,\"freezeTimeoutSeconds\":60,\"marginSeconds\":30}\n");
        assertThat(FreezeDeadline.parse(d.toJson())).isEqualTo(d);
    }

    @Test
    void malformedFilesAreErrors() {
        for (String bad : new String[] {
            "",
            "60",
            "{}",
            "{\"version\":2,\"freezeTimeoutSeconds\":60,\"marginSeconds\":30}",
            "{\"version\":1,\"freezeTimeoutSeconds\":0,\"marginSeconds\":30}",
            "{\"version\":1,\"freezeTimeoutSeconds\":60,\"marginSeconds\":86401}",
            "{\"version\":1,\"freezeTimeoutSeconds\":\"60\",\"marginSeconds\":30}",
            "{\"version\":1,\"freezeTimeoutSeconds\":60.5,\"marginSeconds\":30}",
            "{\"version\":1,\"freezeTimeoutSeconds\":60}",
            " ".repeat(5000)
        }) {
            assertThatThrownBy(() -> FreezeDeadline.parse(bad)).as(bad).isInstanceOf(ContractException.class);
        }
    }

    @Test
    void theWatchdogThawsAMarginAfterTheHooksOrAfterTheHostGaveUpButNeverRightAfterTheHooks() {
        FreezeDeadline d = new FreezeDeadline(60, 30);
        long t0 = 1_000_000;
        // quick hooks: margin after them
        assertThat(d.watchdogDeadline(t0, t0 + 5_000)).isEqualTo(t0 + 35_000);
        // hooks longer than the host's timeout: the host thawed at t0+60 s; margin after that
        assertThat(d.watchdogDeadline(t0, t0 + 80_000)).isEqualTo(t0 + 90_000);
        // hooks ended after that too: still at least 10 s after them
        assertThat(d.watchdogDeadline(t0, t0 + 89_000)).isEqualTo(t0 + 99_000);
    }
}
