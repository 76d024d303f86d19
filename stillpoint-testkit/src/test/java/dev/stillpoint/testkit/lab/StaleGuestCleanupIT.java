package dev.stillpoint.testkit.lab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.testkit.HostPrograms;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A shared guest whose test JVM died (no shutdown hook ran) is removed by the next JVM's lab. */
class StaleGuestCleanupIT {
    @Test
    void removesLeftoversOfDeadJvmsOnlyAndKeepsLiveOnes() throws Exception {
        HostPrograms.require("virsh", "jq");
        LibvirtDaemons.ensureRunning();
        long dead = deadPid();
        Path lab = Path.of("/var/lib/stillpoint/lab");
        Path stale = Files.createDirectories(lab.resolve("sp-lab-" + dead));
        Files.writeString(stale.resolve("boot-info"), "boot_to_agent_ms=1\n");
        Path live = lab.resolve("sp-lab-" + ProcessHandle.current().pid());
        boolean liveExisted = Files.exists(live);
        Files.createDirectories(live);
        try {
            GuestLab.removeStaleSharedGuests();
            assertThat(stale).doesNotExist();
            assertThat(live).isDirectory();
        } finally {
            if (!liveExisted) {
                Files.deleteIfExists(live);
            }
            if (Files.exists(stale)) {
                Files.deleteIfExists(stale.resolve("boot-info"));
                Files.deleteIfExists(stale);
            }
        }
    }

    private static long deadPid() {
        for (long pid = 4_100_000; pid > 1000; pid -= 997) {
            if (ProcessHandle.of(pid).isEmpty()) {
                return pid;
            }
        }
        throw new IllegalStateException("no unused pid found");
    }
}
