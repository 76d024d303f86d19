package dev.stillpoint.guest.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.guest.cli.GuestMain;
import dev.stillpoint.guest.state.ReportStore;
import dev.stillpoint.guest.state.StateStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Real fsfreeze on a loop-mounted ext4 image, through the CLI, with the real detached watchdog. */
class FsFreezeIT {
    @TempDir
    Path tmp;

    Path root;
    LoopMount loop;

    @BeforeEach
    void setUp() throws Exception {
        LoopMount.requirePrograms();
        root = tmp.resolve("root");
        loop = LoopMount.create(tmp, root.resolve("mnt/data"));
        Files.writeString(root.resolve("trace.log"), "");
        Path hook = root.resolve("etc/stillpoint/hooks.d/10-trace");
        Files.createDirectories(hook.getParent());
        Files.writeString(hook, "#!/bin/sh\necho \"hook $1\" >> " + root.resolve("trace.log") + "\n");
        hook.toFile().setExecutable(true, true);
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            dev.stillpoint.guest.state.FreezeState s = new StateStore(root).load();
            if (s != null) ProcessHandle.of(s.watchdogPid()).ifPresent(ProcessHandle::destroyForcibly);
        } finally {
            if (loop != null) loop.close();
        }
    }

    int cli(String... args) {
        CommandLine cl = GuestMain.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int rc = cl.execute(args);
        assertThat(rc).as("stillpoint-guest %s: %s", List.of(args), err).isZero();
        return rc;
    }

    Process write() throws Exception {
        return new ProcessBuilder(
                        "dd",
                        "if=/dev/zero",
                        "of=" + loop.mountPoint.resolve("blob"),
                        "bs=64k",
                        "count=4",
                        "conv=fsync")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    @Test
    void writeBlocksWhileFrozenAndCompletesAfterThaw() throws Exception {
        cli("freeze", "--root", root.toString(), "--mount", "/mnt/data", "--max-freeze-seconds", "120");
        Process dd = write();
        try {
            assertThat(dd.waitFor(1500, TimeUnit.MILLISECONDS))
                    .as("write finished while frozen")
                    .isFalse();
            long t0 = System.nanoTime();
            cli("thaw", "--root", root.toString());
            assertThat(dd.waitFor(20, TimeUnit.SECONDS))
                    .as("write finished after thaw")
                    .isTrue();
            assertThat(dd.exitValue()).isZero();
            System.out.printf("thaw -> write completed in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        } finally {
            dd.destroyForcibly();
        }
        Map<String, Object> rep = dev.stillpoint.guest.Reports.map(new ReportStore(root).read());
        assertThat(rep.get("result")).isEqualTo("ok");
        assertThat(rep.get("frozenMounts")).isEqualTo(List.of(loop.mountPoint.toString()));
        assertThat(((Number) rep.get("freezeWindowMs")).longValue()).isGreaterThanOrEqualTo(1500);
        assertThat(Files.readAllLines(root.resolve("trace.log"))).containsExactly("hook freeze", "hook thaw");
        assertThat(new StateStore(root).load()).isNull();
    }

    @Test
    void watchdogThawsByItselfWhenNoThawComes() throws Exception {
        long t0 = System.nanoTime();
        cli("freeze", "--root", root.toString(), "--mount", "/mnt/data", "--max-freeze-seconds", "3");
        dev.stillpoint.guest.state.FreezeState state = new StateStore(root).load();
        long pid = state.watchdogPid();
        assertThat(pid).isPositive();
        Process dd = write();
        try {
            assertThat(dd.waitFor(1000, TimeUnit.MILLISECONDS))
                    .as("write finished while frozen")
                    .isFalse();
            assertThat(dd.waitFor(30, TimeUnit.SECONDS))
                    .as("watchdog thawed within 30 s")
                    .isTrue();
            System.out.printf(
                    "watchdog (maxFreezeSeconds=3): write completed %d ms after freeze%n",
                    (System.nanoTime() - t0) / 1_000_000);
        } finally {
            dd.destroyForcibly();
        }
        Map<String, Object> rep = dev.stillpoint.guest.Reports.awaitWatchdog(root);
        assertThat(rep.get("result")).isEqualTo("thawed-by-watchdog");
        assertThat(Files.readAllLines(root.resolve("trace.log"))).containsExactly("hook freeze", "hook thaw");
        assertThat(Files.readString(root.resolve("var/log/stillpoint-guest.log")))
                .contains("WATCHDOG no thaw within maxFreezeSeconds=3 s");
        // a late thaw from the host is now a no-op
        cli("thaw", "--root", root.toString());
        assertThat(Files.readAllLines(root.resolve("trace.log"))).containsExactly("hook freeze", "hook thaw");
        for (int i = 0;
                i < 50 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                i++) Thread.sleep(100);
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .as("watchdog exited")
                .isFalse();
    }

    @Test
    void normalThawDisarmsTheWatchdog() throws Exception {
        cli("freeze", "--root", root.toString(), "--mount", "/mnt/data", "--max-freeze-seconds", "60");
        long pid = new StateStore(root).load().watchdogPid();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .isTrue();
        cli("thaw", "--root", root.toString());
        for (int i = 0;
                i < 50 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                i++) Thread.sleep(100);
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .as("watchdog disarmed")
                .isFalse();
    }

    @Test
    void asAgentHookTheWatchdogThawsWhatTheAgentFroze() throws Exception {
        // qemu-ga runs the hook with freeze, then does FIFREEZE itself; no thaw ever comes.
        cli("freeze", "--root", root.toString(), "--no-fsfreeze", "--max-freeze-seconds", "2");
        long watchdog = new StateStore(root).load().watchdogPid();
        LoopMount.run("fsfreeze", "-f", loop.mountPoint.toString());
        Process dd = write();
        try {
            assertThat(dd.waitFor(800, TimeUnit.MILLISECONDS))
                    .as("write finished while frozen")
                    .isFalse();
            assertThat(dd.waitFor(30, TimeUnit.SECONDS))
                    .as("watchdog thawed the agent's freeze")
                    .isTrue();
        } finally {
            dd.destroyForcibly();
        }
        Map<String, Object> rep = dev.stillpoint.guest.Reports.awaitWatchdog(root);
        assertThat(rep.get("result")).isEqualTo("thawed-by-watchdog");
        assertThat(rep.get("watchdogThawedMounts")).isEqualTo(List.of(loop.mountPoint.toString()));
        assertThat(rep.get("fsfreeze")).isEqualTo("agent");
        for (int i = 0;
                i < 100
                        && ProcessHandle.of(watchdog)
                                .map(ProcessHandle::isAlive)
                                .orElse(false);
                i++) Thread.sleep(100);
        assertThat(Files.readAllLines(root.resolve("trace.log"))).containsExactly("hook freeze", "hook thaw");
    }
}
