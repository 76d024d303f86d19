package dev.stillpoint.engine.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.engine.fakes.FakeAgent;
import dev.stillpoint.guest.contract.FreezeDeadline;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The freeze deadline the guest hears, and the agent's stale "frozen" cleared before a freeze. */
class GuestFreezeTest {
    FakeAgent agent = new FakeAgent();
    List<String> warnings = new ArrayList<>();

    GuestFreeze freeze(BackupOptions o) {
        return new GuestFreeze(agent, o, "vm1", GuestFreeze.Events.warningsInto(warnings));
    }

    @Test
    void theDeadlineFileIsWrittenBeforeTheFreezeWithTheFreezeTimeoutAndTheMargin() throws Exception {
        GuestFreeze f = freeze(BackupOptions.defaults().withFreezeTimeout(Duration.ofMillis(29_500)));
        assertThat(f.freeze()).isTrue();
        f.thawIfSent();
        FreezeDeadline d = FreezeDeadline.parse(agent.written.get(FreezeDeadline.PATH));
        assertThat(d).isEqualTo(new FreezeDeadline(30, (int) GuestFreeze.DEADLINE_MARGIN.toSeconds()));
        assertThat(agent.calls.indexOf("file-write")).isLessThan(agent.calls.indexOf("freeze"));
        assertThat(warnings).isEmpty();
    }

    @Test
    void anAgentThatRefusesTheFileStillFreezes() throws Exception {
        agent.fileWriteRefused = true;
        GuestFreeze f = freeze(BackupOptions.defaults());
        assertThat(f.freeze()).isTrue();
        f.thawIfSent();
        assertThat(agent.written).isEmpty();
        assertThat(agent.freezeThawCalls()).containsExactly("freeze", "thaw");
        assertThat(warnings).isEmpty();
    }

    @Test
    void anAgentStillFrozenFromADeadRunIsThawedFirstWithAWarning() throws Exception {
        agent.frozen = true; // qemu-ga's flag after the guest's watchdog thawed behind its back
        GuestFreeze f = freeze(BackupOptions.defaults());
        assertThat(f.freeze()).isTrue();
        f.thawIfSent();
        assertThat(agent.freezeThawCalls()).containsExactly("thaw", "freeze", "thaw");
        assertThat(warnings).singleElement().asString().startsWith("guest-left-frozen: ");
    }
}
