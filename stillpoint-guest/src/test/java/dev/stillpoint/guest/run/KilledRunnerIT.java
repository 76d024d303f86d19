package dev.stillpoint.guest.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.guest.state.StateStore;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kill -9 of the freeze runner while a freeze hook runs: the watchdog (armed before the hooks) undoes what froze. */
class KilledRunnerIT {
    @TempDir
    Path root;

    @Test
    void watchdogUndoesHooksThatFrozeWhenTheRunnerDies() throws Exception {
        GuestTree t = new GuestTree(root);
        t.script("/etc/vmware-tools/backupScripts.d/10-a", "a", 0);
        Path pidFile = root.resolve("hang.pid");
        t.write(
                "/etc/vmware-tools/backupScripts.d/20-hang",
                "#!/bin/sh\necho \"hang $1\" >> " + t.trace() + "\n" + "[ \"$1\" = freeze ] || exit 0\necho $$ > "
                        + pidFile + "\nexec sleep 300\n",
                "rwx------");
        Process runner = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-XX:-UsePerfData",
                        "-cp",
                        System.getProperty("java.class.path"),
                        "dev.stillpoint.guest.cli.GuestMain",
                        "freeze",
                        "--root",
                        root.toString(),
                        "--no-fsfreeze")
                .redirectErrorStream(true)
                .redirectOutput(new File("/dev/null"))
                .start();
        long hangPid = -1;
        try {
            for (int i = 0; i < 200 && !Files.exists(pidFile); i++) Thread.sleep(50);
            assertThat(pidFile).exists();
            hangPid = Long.parseLong(Files.readString(pidFile).trim());
            dev.stillpoint.guest.state.FreezeState state = new StateStore(root).load();
            assertThat(state.phase().id()).isEqualTo("hooks");
            assertThat(state.hooks()).hasSize(1);
            long watchdog = state.watchdogPid();
            runner.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            for (int i = 0;
                    i < 150
                            && ProcessHandle.of(watchdog)
                                    .map(ProcessHandle::isAlive)
                                    .orElse(false);
                    i++) Thread.sleep(100);
            Map<String, Object> rep = dev.stillpoint.guest.Reports.awaitWatchdog(root);
            assertThat(rep.get("result")).isEqualTo("thawed-by-watchdog");
            assertThat(rep.get("consistency")).isEqualTo("none");
            assertThat(t.traceLines()).containsExactly("a freeze", "hang freeze", "a freezeFail");
            assertThat(new StateStore(root).load()).isNull();
        } finally {
            runner.destroyForcibly();
            if (hangPid > 0) ProcessHandle.of(hangPid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
