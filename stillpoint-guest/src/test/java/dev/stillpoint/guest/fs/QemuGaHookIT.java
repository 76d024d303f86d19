package dev.stillpoint.guest.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stillpoint.guest.install.Installer;
import dev.stillpoint.guest.install.Platform;
import dev.stillpoint.guest.state.ReportStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The "done when" path: the real qemu-ga, with the hook that {@code install --for qemu-ga} writes, receives
 * guest-fsfreeze-freeze-list / guest-fsfreeze-thaw and runs every convention's scripts; the agent does FIFREEZE.
 * The agent listens on a unix socket instead of virtio-serial and only freezes the loop mount.
 */
class QemuGaHookIT {
    @TempDir
    Path tmp;

    Path root;
    LoopMount loop;
    Process agent;
    SocketChannel ch;
    BufferedReader in;
    OutputStream out;

    @BeforeEach
    void setUp() throws Exception {
        LoopMount.requirePrograms();
        boolean required = Boolean.getBoolean("stillpoint.it.required");
        boolean haveAgent = Files.isExecutable(Path.of("/usr/sbin/qemu-ga"));
        if (!haveAgent && required) throw new AssertionError("qemu-ga missing (apt-get install qemu-guest-agent)");
        assumeTrue(haveAgent, "qemu-ga missing");
        Path jar = Path.of("target/stillpoint-guest.jar").toAbsolutePath();
        if (!Files.isRegularFile(jar) && required) throw new AssertionError(jar + " missing (run mvn package first)");
        assumeTrue(Files.isRegularFile(jar), jar + " missing");

        root = tmp.resolve("root");
        loop = LoopMount.create(tmp, root.resolve("mnt/data"));
        Path trace = root.resolve("trace.log");
        Files.writeString(trace, "");
        script("etc/qemu/fsfreeze-hook.d/10-db", "#!/bin/sh\necho \"qemu-db $1\" >> " + trace + "\n");
        script("etc/vmware-tools/backupScripts.d/10-app", "#!/bin/sh\necho \"vmware-app $1\" >> " + trace + "\n");
        script("etc/stillpoint/hooks.d/10-sp", "#!/bin/sh\necho \"sp $1\" >> " + trace + "\n");
        new Installer(root, jar).install(Platform.QEMU_GA);

        Path sock = tmp.resolve("qga.sock");
        ProcessBuilder pb = new ProcessBuilder(
                        "/usr/sbin/qemu-ga",
                        "-m",
                        "unix-listen",
                        "-p",
                        sock.toString(),
                        "-F" + root.resolve("etc/qemu/fsfreeze-hook"),
                        "-t",
                        tmp.toString(),
                        "-f",
                        tmp.resolve("qga.pid").toString(),
                        "-l",
                        tmp.resolve("qga.log").toString())
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("qga.out").toFile());
        pb.environment().put("QGA_CONF", tmp.resolve("none.conf").toString());
        pb.environment()
                .put(
                        "STILLPOINT_JAVA",
                        Path.of(System.getProperty("java.home"), "bin", "java").toString());
        pb.environment().put("STILLPOINT_GUEST_JAR", jar.toString());
        pb.environment().put("STILLPOINT_GUEST_ARGS", "--root " + root);
        agent = pb.start();
        for (int i = 0; i < 100 && !Files.exists(sock); i++) Thread.sleep(50);
        ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(sock));
        in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
        out = Channels.newOutputStream(ch);
    }

    void script(String rel, String content) throws Exception {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
        Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }

    String qga(String json) throws Exception {
        out.write((json + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return in.readLine();
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (ch != null) {
                qga("{\"execute\":\"guest-fsfreeze-thaw\"}");
                ch.close();
            }
        } finally {
            try {
                if (agent != null) {
                    agent.destroy();
                    if (!agent.waitFor(5, TimeUnit.SECONDS))
                        agent.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } finally {
                if (loop != null) loop.close();
            }
        }
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

    /** A write blocks while frozen and completes within {@code seconds} (the watchdog thaws); returns ms blocked. */
    long writeBlockedUntilTheWatchdog(int seconds, String why) throws Exception {
        long t0 = System.nanoTime();
        Process dd = write();
        try {
            assertThat(dd.waitFor(800, TimeUnit.MILLISECONDS)).isFalse();
            assertThat(dd.waitFor(seconds, TimeUnit.SECONDS)).as(why).isTrue();
            return (System.nanoTime() - t0) / 1_000_000;
        } finally {
            dd.destroyForcibly();
        }
    }

    /** The report once the watchdog has written it. */
    Map<String, Object> watchdogReport() throws Exception {
        Map<String, Object> rep = dev.stillpoint.guest.Reports.awaitWatchdog(root);
        assertThat(rep.get("result")).isEqualTo("thawed-by-watchdog");
        return rep;
    }

    @Test
    void hostFreezeAndThawRunEveryConventionThroughTheInstalledHook() throws Exception {
        String mp = loop.mountPoint.toString();
        long frozenGapMs;
        long t0 = System.nanoTime();
        assertThat(qga("{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":[\"" + mp + "\"]}}"))
                .isEqualTo("{\"return\": 1}");
        long frozenAt = System.nanoTime();
        long freezeMs = (frozenAt - t0) / 1_000_000;
        assertThat(qga("{\"execute\":\"guest-fsfreeze-status\"}")).isEqualTo("{\"return\": \"frozen\"}");
        Process dd = write();
        try {
            assertThat(dd.waitFor(1000, TimeUnit.MILLISECONDS))
                    .as("write blocked while the agent froze")
                    .isFalse();
            long t1 = System.nanoTime();
            assertThat(qga("{\"execute\":\"guest-fsfreeze-thaw\"}")).startsWith("{\"return\": ");
            long thawMs = (System.nanoTime() - t1) / 1_000_000;
            frozenGapMs = (t1 - frozenAt) / 1_000_000;
            assertThat(dd.waitFor(20, TimeUnit.SECONDS)).isTrue();
            System.out.printf("qemu-ga freeze-list incl. hook: %d ms, thaw incl. hook: %d ms%n", freezeMs, thawMs);
        } finally {
            dd.destroyForcibly();
        }
        assertThat(Files.readAllLines(root.resolve("trace.log")))
                .containsExactly(
                        "vmware-app freeze",
                        "qemu-db freeze",
                        "sp freeze",
                        "sp thaw",
                        "qemu-db thaw",
                        "vmware-app thaw");
        Map<String, Object> rep = dev.stillpoint.guest.Reports.map(new ReportStore(root).read());
        assertThat(rep.get("result")).isEqualTo("ok");
        assertThat(rep.get("fsfreeze")).isEqualTo("agent");
        assertThat(rep.get("consistency")).isEqualTo("application");
        // issue 17: the agent's FIFREEZE..FITHAW, bracketed by the hook script's clock (no JVM in it): at least
        // the time between the freeze's reply and the thaw request, far less than the freeze window (JVMs in it)
        long ioFrozen = ((Number) rep.get("ioFrozenMs")).longValue();
        System.out.printf(
                "I/O frozen %d ms (host: freeze reply -> thaw sent %d ms), freeze window %s ms%n",
                ioFrozen, frozenGapMs, rep.get("freezeWindowMs"));
        assertThat(rep.get("ioFrozenBy")).isEqualTo("hook-script");
        assertThat(ioFrozen).isBetween(frozenGapMs, frozenGapMs + 500);
        assertThat(ioFrozen).isLessThan(((Number) rep.get("freezeWindowMs")).longValue());
        // qemu-ga calls the thaw hook even when nothing is frozen: Stillpoint makes that a no-op
        qga("{\"execute\":\"guest-fsfreeze-thaw\"}");
        assertThat(Files.readAllLines(root.resolve("trace.log"))).hasSize(6);
    }

    @Test
    void watchdogThawsWhenTheHostNeverSendsThaw() throws Exception {
        Files.writeString(root.resolve("etc/stillpoint/guest.conf"), "[runner]\nmaxFreezeSeconds = 3\n");
        String mp = loop.mountPoint.toString();
        assertThat(qga("{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":[\"" + mp + "\"]}}"))
                .isEqualTo("{\"return\": 1}");
        long watchdog = new dev.stillpoint.guest.state.StateStore(root).load().watchdogPid();
        writeBlockedUntilTheWatchdog(30, "watchdog thawed the agent's freeze");
        Map<String, Object> rep = watchdogReport();
        assertThat(rep.get("watchdogThawedMounts")).isEqualTo(List.of(mp));
        for (int i = 0;
                i < 100
                        && ProcessHandle.of(watchdog)
                                .map(ProcessHandle::isAlive)
                                .orElse(false);
                i++) Thread.sleep(100);
        assertThat(Files.readAllLines(root.resolve("trace.log")))
                .containsExactly(
                        "vmware-app freeze",
                        "qemu-db freeze",
                        "sp freeze",
                        "sp thaw",
                        "qemu-db thaw",
                        "vmware-app thaw");
    }

    /**
     * The host's deadline, written through the agent's file commands as the engine does, replaces guest.conf's
     * 60 s; after the watchdog's thaw qemu-ga still says frozen and refuses the file commands until
     * guest-fsfreeze-thaw (what the engine's next backup sends first).
     */
    @Test
    void theHostsDeadlineWrittenThroughTheAgentSetsTheWatchdogAndTheAgentStaysFrozenUntilThaw() throws Exception {
        Files.writeString(root.resolve("etc/stillpoint/guest.conf"), "[runner]\nmaxFreezeSeconds = 60\n");
        Path deadline = root.resolve(dev.stillpoint.guest.contract.FreezeDeadline.PATH.substring(1));
        Files.createDirectories(deadline.getParent());
        String open =
                qga("{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"" + deadline + "\",\"mode\":\"w\"}}");
        String handle = open.replaceAll("\\D", "");
        String body = java.util.Base64.getEncoder()
                .encodeToString(new dev.stillpoint.guest.contract.FreezeDeadline(5, 1)
                        .toJson()
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(qga("{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":" + handle + ",\"buf-b64\":\""
                        + body + "\"}}"))
                .startsWith("{\"return\": ");
        qga("{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":" + handle + "}}");
        String mp = loop.mountPoint.toString();
        assertThat(qga("{\"execute\":\"guest-fsfreeze-freeze-list\",\"arguments\":{\"mountpoints\":[\"" + mp + "\"]}}"))
                .isEqualTo("{\"return\": 1}");
        assertThat(deadline).as("taken by the freeze").doesNotExist();
        long blocked = writeBlockedUntilTheWatchdog(40, "watchdog thawed at the host's deadline, not after 60 s");
        System.out.printf("host deadline (freeze timeout 5 s, margin 1 s): write blocked %d ms%n", blocked);
        Map<String, Object> rep = watchdogReport();
        assertThat(rep.get("deadlineSource")).isEqualTo("host");
        assertThat(rep.get("maxFreezeSeconds"))
                .isEqualTo(dev.stillpoint.guest.contract.FreezeDeadline.MIN_AFTER_HOOKS_SECONDS);
        // qemu-ga did not see the watchdog's FITHAW
        assertThat(qga("{\"execute\":\"guest-fsfreeze-status\"}")).isEqualTo("{\"return\": \"frozen\"}");
        assertThat(qga("{\"execute\":\"guest-file-open\",\"arguments\":{\"path\":\"" + deadline
                        + "\",\"mode\":\"w\"}}"))
                .contains("error");
        assertThat(qga("{\"execute\":\"guest-fsfreeze-thaw\"}")).startsWith("{\"return\": ");
        assertThat(qga("{\"execute\":\"guest-fsfreeze-status\"}")).isEqualTo("{\"return\": \"thawed\"}");
    }
}
