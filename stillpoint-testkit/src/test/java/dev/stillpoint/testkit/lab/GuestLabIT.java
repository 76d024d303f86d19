package dev.stillpoint.testkit.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.testkit.HostPrograms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots the shared lab guest once and checks GuestLab's own contract on it (agent, exec exit codes,
 * output and quoting, psql errors, binary push/pull, close), then removes it. Freeze/thaw through the
 * agent, the hook and {@code installRunner} are covered by stillpoint-cli's e2e ITs (BackupE2EIT,
 * FsStateLabIT), which run them on their shared guest: this IT skips them to keep CI at one cheap boot.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GuestLabIT {
    private static GuestLab guest;

    @BeforeAll
    static void boot() {
        HostPrograms.require(
                "virsh", "libvirtd", "virtlogd", "qemu-system-x86_64", "qemu-img", "debootstrap", "mkfs.ext4", "jq");
        guest = GuestLab.shared();
        System.err.printf(
                "GuestLabIT: %s booted to agent in %.1f s%n",
                guest.name(), guest.bootToAgent().toMillis() / 1000.0);
    }

    @Test
    @Order(1)
    void guestAgentAnswersPing() {
        ExecResult ping = virsh("qemu-agent-command", guest.name(), "{\"execute\":\"guest-ping\"}");
        assertThat(ping.exitCode()).as(ping.stderr()).isZero();
        assertThat(ping.stdout()).contains("\"return\"");
        assertThat(GuestLab.shared()).isSameAs(guest);
    }

    @Test
    @Order(2)
    void execReturnsOutputAndExitCode() {
        ExecResult uname = guest.exec("uname", "-r").orThrow();
        assertThat(uname.stdout().strip()).matches("\\d+\\.\\d+\\.\\d+-\\d+-amd64");

        ExecResult failing = guest.exec("sh", "-c", "echo to-out; echo to-err >&2; exit 3");
        assertThat(failing.exitCode()).isEqualTo(3);
        assertThat(failing.stdout()).isEqualTo("to-out\n");
        assertThat(failing.stderr()).contains("to-err");
        assertThatThrownBy(failing::orThrow)
                .isInstanceOf(GuestLabException.class)
                .hasMessageContaining("exited with 3")
                .hasMessageContaining("to-err");

        ExecResult quoted = guest.exec("printf", "%s|", "a b", "it's", "\"q\"", "-r");
        assertThat(quoted.orThrow().stdout()).isEqualTo("a b|it's|\"q\"|-r|");
        assertThat(guest.sh("echo \"$((6 * 7))\"; exit 5"))
                .extracting(ExecResult::exitCode, ExecResult::stdout)
                .containsExactly(5, "42\n");
    }

    @Test
    @Order(3)
    void postgresqlAnswers() {
        assertThat(waitForPostgres()).isEqualTo("1");
        guest.psql("create table if not exists lab_it(id int primary key, v text)");
        guest.psql("insert into lab_it select g, 'row ' || g from generate_series(1, 500) g on conflict do nothing");
        assertThat(guest.psql("select count(*) from lab_it")).isEqualTo("500");
        assertThatThrownBy(() -> guest.psql("select * from no_such_table"))
                .isInstanceOf(GuestLabException.class)
                .hasMessageContaining("no_such_table");
    }

    @Test
    @Order(4)
    void pushAndPullRoundTripBinaryData(@TempDir Path tmp) throws IOException {
        byte[] data = new byte[300_000]; // several guest-file-write chunks
        new Random(42).nextBytes(data);
        Path local = tmp.resolve("data.bin");
        Files.write(local, data);
        guest.push(local, "/root/data.bin");
        assertThat(guest.exec("stat", "-c", "%s", "/root/data.bin")
                        .orThrow()
                        .stdout()
                        .strip())
                .isEqualTo("300000");
        Path back = tmp.resolve("back.bin");
        guest.pull("/root/data.bin", back);
        assertThat(Files.readAllBytes(back)).isEqualTo(data);
    }

    @Test
    @Order(99)
    void closeLeavesNothingDefined() {
        Path dir = Path.of("/var/lib/stillpoint/lab", guest.name());
        assertThat(dir).isDirectory();
        guest.close();
        assertThat(virsh("domuuid", guest.name()).exitCode()).isNotZero();
        assertThat(dir).doesNotExist();
        assertThat(ProcessHandle.allProcesses()
                        .map(p -> p.info().arguments().map(List::of).orElse(List.of()))
                        .anyMatch(a -> a.contains("guest=" + guest.name() + ",debug-threads=on")))
                .isFalse();
        assertThatThrownBy(() -> guest.exec("true")).isInstanceOf(IllegalStateException.class);
        guest.close(); // idempotent
    }

    private static String waitForPostgres() {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            ExecResult r = guest.exec("runuser", "-u", "postgres", "--", "psql", "-Atc", "select 1");
            if (r.ok() || System.nanoTime() > deadline) {
                return r.orThrow().stdout().strip();
            }
            LibvirtDaemons.sleep(Duration.ofSeconds(1));
        }
    }

    private static ExecResult virsh(String... args) {
        return GuestLab.virsh(args);
    }
}
