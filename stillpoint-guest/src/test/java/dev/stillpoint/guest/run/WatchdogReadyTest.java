package dev.stillpoint.guest.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.guest.state.StateStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 item 6: the freeze goes on only once its watchdog JVM is up, so that the JVM's start-up (seconds of
 * CPU on one emulated vCPU) is not inside the agent's FIFREEZE..FITHAW.
 */
class WatchdogReadyTest {
    @TempDir
    Path tmp;

    Process sh(String script) throws Exception {
        return new ProcessBuilder("sh", "-c", script).start();
    }

    @Test
    void theLauncherWaitsForTheWatchdogsTokenAndRemovesIt() throws Exception {
        Path ready = tmp.resolve(Watchdog.READY);
        Process p = sh("sleep 0.4; printf tok-1 > " + ready + "; sleep 10");
        try {
            long t0 = System.nanoTime();
            assertThat(WatchdogLauncher.awaitReady(tmp, "tok-1", p, 10_000)).isTrue();
            assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(350L, 5_000L);
            assertThat(ready).doesNotExist();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void anotherFreezesTokenADeadWatchdogAndTheTimeLimitEndTheWait() throws Exception {
        Files.writeString(tmp.resolve(Watchdog.READY), "tok-old");
        Process dead = sh("exit 3");
        dead.waitFor(5, TimeUnit.SECONDS);
        assertThat(WatchdogLauncher.awaitReady(tmp, "tok-1", dead, 10_000)).isFalse();
        Process silent = sh("sleep 10");
        try {
            long t0 = System.nanoTime();
            assertThat(WatchdogLauncher.awaitReady(tmp, "tok-1", silent, 300)).isFalse();
            assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(300L, 5_000L);
        } finally {
            silent.destroyForcibly();
        }
    }

    @Test
    void theWatchdogSaysItIsUpOnceItReadTheFreezeItGuardsAndLeavesWhenItIsThawed() throws Exception {
        new GuestTree(tmp).script("/etc/stillpoint/hooks.d/10-a", "a", 0);
        QuiesceRunner.Options o =
                QuiesceRunner.Options.of(tmp).withNoFsfreeze(true).withWatchdog((r, token, d) -> -1);
        new QuiesceRunner(o, e -> {}).freeze();
        StateStore store = new StateStore(tmp);
        String token = store.load().token();
        CompletableFuture<Void> dog = CompletableFuture.runAsync(() -> {
            try {
                Watchdog.run(new QuiesceRunner(o, e -> {}), store, token);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Path ready = store.dir().resolve(Watchdog.READY);
        for (int i = 0; i < 500 && !Files.exists(ready); i++) Thread.sleep(10);
        assertThat(ready).hasContent(token);
        new QuiesceRunner(o, e -> {}).thaw(QuiesceRunner.ThawKind.THAW, null);
        dog.get(10, TimeUnit.SECONDS);
        assertThat(new dev.stillpoint.guest.state.ReportStore(tmp).read().result())
                .as("thawed by the thaw, not by the watchdog")
                .isEqualTo("ok");
    }
}
