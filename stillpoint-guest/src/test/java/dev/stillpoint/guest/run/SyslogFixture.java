package dev.stillpoint.guest.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A guest tree under tmp/root and a runner whose system log goes to a test socket ({@link SyslogSink}). */
abstract class SyslogFixture {
    @TempDir
    Path tmp;

    GuestTree t;
    SyslogSink syslog;
    final List<GuestEvent> events = new ArrayList<>();

    @BeforeEach
    void startSyslog() throws Exception {
        t = new GuestTree(tmp.resolve("root"));
        Files.createDirectories(t.root);
        syslog = new SyslogSink(tmp.resolve("syslog.sock"));
    }

    @AfterEach
    void stopSyslog() throws Exception {
        syslog.close();
    }

    QuiesceRunner runner() {
        return new QuiesceRunner(
                QuiesceRunner.Options.of(t.root)
                        .withFreezer(new RecordingFsFreezer())
                        .withSyslogSocket(syslog.path.toString())
                        .withWatchdog((root, token, deadline) -> -1),
                events::add);
    }

    /** Options for {@code root} with one mount, {@code root/data}, frozen by {@code fs}; no syslog, no watchdog. */
    static QuiesceRunner.Options dataMount(Path root, dev.stillpoint.guest.fs.FsFreezer fs) throws Exception {
        Files.createDirectories(root.resolve("data"));
        return QuiesceRunner.Options.of(root)
                .withFreezer(fs)
                .withMounts(List.of("/data"))
                .withMountTable(dev.stillpoint.guest.fs.MountTable.parse(
                        List.of("40 1 8:1 / " + root.resolve("data") + " rw,relatime shared:1 - ext4 /dev/sda1 rw")))
                .withSyslogSocket(root.resolve("no-syslog").toString())
                .withWatchdog((r, token, deadline) -> -1);
    }
}
