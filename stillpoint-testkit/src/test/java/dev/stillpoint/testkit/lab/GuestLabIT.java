package dev.stillpoint.testkit.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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

/** Boots the shared lab guest once and exercises every lab operation on it, then removes it. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GuestLabIT {
  private static GuestLab guest;

  @BeforeAll
  static void boot() {
    LabAssumptions.assumePrograms("virsh", "libvirtd", "virtlogd", "qemu-system-x86_64", "qemu-img",
        "debootstrap", "mkfs.ext4", "jq");
    guest = GuestLab.shared();
    System.err.printf("GuestLabIT: %s booted to agent in %.1f s%n", guest.name(),
        guest.bootToAgent().toMillis() / 1000.0);
  }

  @Test
  @Order(1)
  void guestAgentAnswersPing() {
    ProcessRunner.Output ping = virsh("qemu-agent-command", guest.name(), "{\"execute\":\"guest-ping\"}");
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
    assertThatThrownBy(failing::orThrow).isInstanceOf(GuestLabException.class)
        .hasMessageContaining("exited with 3").hasMessageContaining("to-err");

    ExecResult quoted = guest.exec("printf", "%s|", "a b", "it's", "\"q\"", "-r");
    assertThat(quoted.orThrow().stdout()).isEqualTo("a b|it's|\"q\"|-r|");
  }

  @Test
  @Order(3)
  void postgresqlAnswers() {
    assertThat(waitForPostgres()).isEqualTo("1");
    guest.psql("create table if not exists lab_it(id int primary key, v text)");
    guest.psql("insert into lab_it select g, 'row ' || g from generate_series(1, 500) g on conflict do nothing");
    assertThat(guest.psql("select count(*) from lab_it")).isEqualTo("500");
    assertThatThrownBy(() -> guest.psql("select * from no_such_table"))
        .isInstanceOf(GuestLabException.class).hasMessageContaining("no_such_table");
  }

  @Test
  @Order(4)
  void pushAndPullRoundTripBinaryData(@TempDir Path tmp) throws IOException {
    byte[] data = new byte[300_000]; // several guest-file-write chunks
    new Random(42).nextBytes(data);
    Path local = tmp.resolve("data.bin");
    Files.write(local, data);
    guest.push(local, "/root/data.bin");
    assertThat(guest.exec("stat", "-c", "%s", "/root/data.bin").orThrow().stdout().strip()).isEqualTo("300000");
    Path back = tmp.resolve("back.bin");
    guest.pull("/root/data.bin", back);
    assertThat(Files.readAllBytes(back)).isEqualTo(data);
  }

  @Test
  @Order(5)
  void fsfreezeThroughTheAgentRunsTheHook(@TempDir Path tmp) throws IOException {
    // A hand-written hook (stands in for stillpoint-guest until its installer lands): qemu-ga
    // runs /etc/qemu/fsfreeze-hook only when started with -F, so add a systemd drop-in.
    Path hook = tmp.resolve("hook");
    Files.writeString(hook, "#!/bin/sh\necho \"$1 $(cut -d' ' -f1 /proc/uptime)\" >> /var/log/sp-lab-hook.log\n",
        StandardCharsets.UTF_8);
    Path dropIn = tmp.resolve("dropin");
    Files.writeString(dropIn, "[Service]\nExecStart=\nExecStart=-/usr/sbin/qemu-ga -F\n", StandardCharsets.UTF_8);
    guest.exec("mkdir", "-p", "/etc/qemu/fsfreeze-hook.d", "/etc/systemd/system/qemu-guest-agent.service.d").orThrow();
    guest.push(hook, "/etc/qemu/fsfreeze-hook.d/50-sp-lab");
    guest.push(dropIn, "/etc/systemd/system/qemu-guest-agent.service.d/50-sp-lab-hook.conf");
    guest.exec("chmod", "0755", "/etc/qemu/fsfreeze-hook.d/50-sp-lab").orThrow();
    guest.exec("rm", "-f", "/var/log/sp-lab-hook.log").orThrow();
    guest.exec("systemctl", "daemon-reload").orThrow();
    guest.restartAgent();
    assertThat(guest.exec("ps", "-o", "args=", "-C", "qemu-ga").orThrow().stdout()).contains("-F");

    ProcessRunner.Output freeze = virsh("domfsfreeze", guest.name());
    ProcessRunner.Output frozen = virsh("qemu-agent-command", guest.name(),
        "{\"execute\":\"guest-fsfreeze-status\"}");
    ProcessRunner.Output thaw = virsh("domfsthaw", guest.name());
    assertThat(freeze.exitCode()).as(freeze.stderr()).isZero();
    assertThat(frozen.stdout()).contains("frozen");
    assertThat(thaw.exitCode()).as(thaw.stderr()).isZero();
    assertThat(virsh("qemu-agent-command", guest.name(), "{\"execute\":\"guest-fsfreeze-status\"}").stdout())
        .contains("thawed");
    List<String> log = guest.exec("cat", "/var/log/sp-lab-hook.log").orThrow().stdout().lines().toList();
    assertThat(log).hasSize(2);
    assertThat(log.get(0)).startsWith("freeze ");
    assertThat(log.get(1)).startsWith("thaw ");
  }

  @Test
  @Order(6)
  void installRunnerMakesTheAgentRunStillpointGuest(@TempDir Path tmp) throws IOException {
    Path jar = guest.root().resolve("stillpoint-guest/target/stillpoint-guest.jar");
    assertThat(jar).as("the stillpoint-guest jar (built before this module)").isRegularFile();
    guest.exec("rm", "-f", "/etc/systemd/system/qemu-guest-agent.service.d/50-sp-lab-hook.conf",
        "/var/log/sp-lab-hook.log").orThrow();
    Path conf = tmp.resolve("guest.conf");
    Files.writeString(conf, "[app \"postgresql\"]\n", StandardCharsets.UTF_8);
    guest.exec("mkdir", "-p", "/etc/stillpoint").orThrow();
    guest.push(conf, "/etc/stillpoint/guest.conf");

    guest.installRunner(jar);

    assertThat(guest.exec("ps", "-o", "args=", "-C", "qemu-ga").orThrow().stdout()).contains("-F");
    assertThat(virsh("domfsfreeze", guest.name()).exitCode()).isZero();
    ProcessRunner.Output thaw = virsh("domfsthaw", guest.name());
    assertThat(thaw.exitCode()).as(thaw.stderr()).isZero();
    String report = guest.exec("cat", "/var/lib/stillpoint/last-report.json").orThrow().stdout();
    assertThat(report).contains("\"app:postgresql\"").containsPattern("\"consistency\"\\s*:\\s*\"application\"")
        .containsPattern("\"result\"\\s*:\\s*\"ok\"");
    // the qemu group (fsfreeze-hook.d) still runs under stillpoint-guest
    assertThat(guest.exec("cat", "/var/log/sp-lab-hook.log").orThrow().stdout()).contains("freeze").contains("thaw");
  }

  @Test
  @Order(99)
  void closeLeavesNothingDefined() {
    Path dir = Path.of("/var/lib/stillpoint/lab", guest.name());
    assertThat(dir).isDirectory();
    guest.close();
    assertThat(virsh("domuuid", guest.name()).exitCode()).isNotZero();
    assertThat(dir).doesNotExist();
    assertThat(ProcessHandle.allProcesses().map(p -> p.info().arguments().map(List::of).orElse(List.of()))
        .anyMatch(a -> a.contains("guest=" + guest.name() + ",debug-threads=on"))).isFalse();
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

  private static ProcessRunner.Output virsh(String... args) {
    List<String> cmd = new java.util.ArrayList<>(List.of("virsh", "-c", "qemu:///system"));
    cmd.addAll(List.of(args));
    return ProcessRunner.run(cmd, Duration.ofMinutes(2));
  }
}
