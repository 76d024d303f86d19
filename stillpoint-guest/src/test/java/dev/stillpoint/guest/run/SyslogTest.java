package dev.stillpoint.guest.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.guest.GuestException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 17 item 4: failures reach the system log at user.err (PRI 11) with tag stillpoint-guest. */
class SyslogTest extends SyslogFixture {
    static final String Q = "/etc/qemu/fsfreeze-hook.d/";

    static void assertErr(List<String> lines, String... parts) {
        assertThat(lines).anySatisfy(l -> {
            assertThat(l).startsWith("<11>").contains(" stillpoint-guest: ");
            for (String p : parts) assertThat(l).contains(p);
        });
    }

    @Test
    void successIsNotLogged() throws Exception {
        t.script(Q + "10-a", "a", 0);
        runner().freeze();
        runner().thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(syslog.await(1)).isEmpty();
    }

    @Test
    void failedFreezeHookAndFailedFreeze() throws Exception {
        t.script(Q + "10-a", "a", 7);
        assertThatThrownBy(() -> runner().freeze()).isInstanceOf(GuestException.class);
        List<String> lines = syslog.await(2);
        assertErr(lines, "hook failed: qemu:" + Q + "10-a freeze exit 7");
        assertErr(lines, "freeze failed: freeze hook 1 qemu:" + Q + "10-a failed");
    }

    @Test
    void failedThawHook() throws Exception {
        t.scriptFailingOn(Q + "10-a", "a", "thaw", 9);
        runner().freeze();
        assertThat(syslog.await(1)).isEmpty();
        assertThatThrownBy(() -> runner().thaw(QuiesceRunner.ThawKind.THAW, null))
                .isInstanceOf(GuestException.class);
        List<String> lines = syslog.await(2);
        assertErr(lines, "hook failed: qemu:" + Q + "10-a thaw exit 9");
        assertErr(lines, "thaw failed: qemu:" + Q + "10-a thaw failed");
    }

    @Test
    void watchdogThaw() throws Exception {
        t.script(Q + "10-a", "a", 0);
        QuiesceRunner r = runner();
        r.freeze();
        String token = new dev.stillpoint.guest.state.StateStore(t.root).load().token();
        r.thaw(QuiesceRunner.ThawKind.WATCHDOG, token);
        assertErr(syslog.await(1), "watchdog thaw:", "thawed-by-watchdog");
    }
}
