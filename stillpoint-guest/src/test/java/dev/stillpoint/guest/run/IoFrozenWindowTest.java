package dev.stillpoint.guest.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.guest.contract.GuestReport;
import dev.stillpoint.guest.fs.FsFreezer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 item 6: the report's I/O-frozen window runs from the first FIFREEZE to the last FITHAW, so it leaves
 * out the freeze hooks (which do not block the guest's writes) and is smaller than the whole freeze.
 */
class IoFrozenWindowTest {
    @TempDir
    Path tmp;

    QuiesceRunner runner(FsFreezer fs) throws Exception {
        return new QuiesceRunner(SyslogFixture.dataMount(tmp, fs), e -> {});
    }

    @Test
    void theWindowStartsAtTheFirstFifreezeNotWithTheHooks() throws Exception {
        GuestTree t = new GuestTree(tmp);
        t.write("/etc/stillpoint/hooks.d/10-slow", "#!/bin/sh\n[ \"$1\" = freeze ] && sleep 1\nexit 0\n", "rwx------");
        java.nio.file.Files.createDirectories(tmp.resolve("data"));
        runner(new RecordingFsFreezer()).freeze();
        Thread.sleep(300);
        GuestReport r = runner(new RecordingFsFreezer()).thaw(QuiesceRunner.ThawKind.THAW, null);
        long whole = Duration.between(Instant.parse(r.startedAt()), Instant.parse(r.thawedAt()))
                .toMillis();
        assertThat(r.ioFrozenMs()).isBetween(300L, 1000L);
        assertThat(whole).as("freeze start to thaw, hooks included").isGreaterThanOrEqualTo(1300L);
        assertThat(r.ioFrozenMs()).isLessThan(whole);
    }

    @Test
    void nothingFrozeWhenEveryMountWasSkipped() throws Exception {
        java.nio.file.Files.createDirectories(tmp.resolve("data"));
        FsFreezer unsupported = new FsFreezer() {
            @Override
            public Result freeze(String mp) {
                return new Result(false, true, "not supported");
            }

            @Override
            public Result thaw(String mp) {
                return new Result(true, false, "");
            }
        };
        runner(unsupported).freeze();
        GuestReport r = runner(unsupported).thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(r.ioFrozenMs()).isZero();
        assertThat(r.appHeld()).isNull();
    }

    @Test
    void inAgentModeTheWindowStartsWhenTheFreezeCommandReturned() throws Exception {
        GuestTree t = new GuestTree(tmp);
        t.script("/etc/stillpoint/hooks.d/10-a", "a", 0);
        QuiesceRunner.Options o =
                QuiesceRunner.Options.of(tmp).withNoFsfreeze(true).withWatchdog((r, token, d) -> -1);
        QuiesceRunner freeze = new QuiesceRunner(o, e -> {});
        freeze.freeze();
        Thread.sleep(400); // the freeze command printing and exiting: not yet frozen by the agent
        freeze.freezeReturning();
        Thread.sleep(200); // frozen by the agent
        GuestReport r = new QuiesceRunner(o, e -> {}).thaw(QuiesceRunner.ThawKind.THAW, null);
        assertThat(r.ioFrozenMs()).isBetween(200L, 399L);
        assertThat(r.ioFrozenBy())
                .as("no hook-script clock: the JVM upper bound")
                .isEqualTo("hook-jvm");
        assertThat(r.freezeWindowMs()).isGreaterThanOrEqualTo(600L);
        assertThat(tmp.resolve("run/stillpoint/" + QuiesceRunner.RETURNED)).doesNotExist();
    }

    /** Agent-mode freeze, then what the installed hook script appends once the freeze command has exited. */
    QuiesceRunner.Options agentFrozen(String scriptClockLine) throws Exception {
        new GuestTree(tmp).script("/etc/stillpoint/hooks.d/10-a", "a", 0);
        QuiesceRunner.Options o =
                QuiesceRunner.Options.of(tmp).withNoFsfreeze(true).withWatchdog((r, token, d) -> -1);
        QuiesceRunner freeze = new QuiesceRunner(o, e -> {});
        freeze.freeze();
        freeze.freezeReturning();
        if (scriptClockLine != null)
            java.nio.file.Files.writeString(
                    tmp.resolve("run/stillpoint/" + QuiesceRunner.RETURNED),
                    scriptClockLine + "\n",
                    java.nio.file.StandardOpenOption.APPEND);
        return o;
    }

    @Test
    void inAgentModeTheHookScriptsClockReadingsGiveTheWindowWithoutAnyJvmInIt() throws Exception {
        QuiesceRunner.Options o = agentFrozen("mono 5000000000");
        Thread.sleep(300); // the JVM-measured bound would be at least this
        GuestReport r = new QuiesceRunner(o, e -> {}).thaw(QuiesceRunner.ThawKind.THAW, null, "mono 5042000001");
        assertThat(r.ioFrozenBy()).isEqualTo("hook-script");
        assertThat(r.ioFrozenMs())
                .as("42.000001 ms, rounded up: an upper bound")
                .isEqualTo(43L);
        assertThat(r.freezeWindowMs()).isGreaterThanOrEqualTo(300L);
        assertThat(tmp.resolve("run/stillpoint/" + QuiesceRunner.RETURNED)).doesNotExist();
    }

    @Test
    void readingsOfDifferentClocksOrOfAnotherFreezeAreNotSubtracted() throws Exception {
        QuiesceRunner.Options o = agentFrozen("uptime 5000000000");
        GuestReport r = new QuiesceRunner(o, e -> {}).thaw(QuiesceRunner.ThawKind.THAW, null, "mono 5042000000");
        assertThat(r.ioFrozenBy()).isEqualTo("hook-jvm");
        assertThat(r.ioFrozenMs()).isNotEqualTo(42L);

        // a file left by an earlier freeze (another token) is not this freeze's start
        QuiesceRunner.Options o2 = agentFrozen(null);
        java.nio.file.Files.writeString(
                tmp.resolve("run/stillpoint/" + QuiesceRunner.RETURNED), "other-token 1\nmono 5000000000\n");
        GuestReport r2 = new QuiesceRunner(o2, e -> {}).thaw(QuiesceRunner.ThawKind.THAW, null, "mono 5042000000");
        assertThat(r2.ioFrozenBy()).isEqualTo("hook-jvm");
    }

    @Test
    void theWatchdogNeverUsesTheScriptsClock() throws Exception {
        QuiesceRunner.Options o = agentFrozen("mono 5000000000");
        String token = new dev.stillpoint.guest.state.StateStore(tmp).load().token();
        GuestReport r = new QuiesceRunner(o.withFreezer(new RecordingFsFreezer()), e -> {})
                .thaw(QuiesceRunner.ThawKind.WATCHDOG, token, "mono 5042000000");
        assertThat(r.ioFrozenBy()).isEqualTo("watchdog");
    }

    @Test
    void hookClockNanosNeedsTwoReadingsOfOneKnownClockInOrder() {
        assertThat(QuiesceRunner.hookClockNanos("mono 10", "mono 25")).isEqualTo(15L);
        assertThat(QuiesceRunner.hookClockNanos("uptime 10000000", "uptime 30000000"))
                .isEqualTo(20_000_000L);
        assertThat(QuiesceRunner.hookClockNanos("mono 25", "mono 10")).isNull();
        assertThat(QuiesceRunner.hookClockNanos("mono 10", "mono 10")).isNull();
        assertThat(QuiesceRunner.hookClockNanos("mono 10", "uptime 25")).isNull();
        assertThat(QuiesceRunner.hookClockNanos("tsc 10", "tsc 25")).isNull();
        assertThat(QuiesceRunner.hookClockNanos("mono x", "mono 25")).isNull();
        assertThat(QuiesceRunner.hookClockNanos("mono 10", "")).isNull();
        assertThat(QuiesceRunner.hookClockNanos(null, "mono 25")).isNull();
        assertThat(QuiesceRunner.hookClockNanos("mono 10", null)).isNull();
    }
}
