package dev.stillpoint.cli.backup;

import static dev.stillpoint.cli.backup.BackupE2EIT.cli;
import static dev.stillpoint.cli.backup.BackupE2EIT.cliLines;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.cli.ExitCodes;
import dev.stillpoint.cli.Main;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.RepositoryOptions;
import dev.stillpoint.testkit.HostPrograms;
import dev.stillpoint.testkit.lab.GuestLab;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code vm snapshot} on the shared lab guest, one boot at most: a full backup; an external
 * quiesced snapshot, writes, delete (merged back: the disk is its original file again, qcow2-clean,
 * the data written meanwhile there) and an incremental that reads about the dirty bytes; an internal
 * memory snapshot whose revert brings back the earlier file contents and whose VM SIZE equals
 * qemu-img's; a disk-only internal snapshot of the shut-off guest whose revert undoes a block write,
 * which expires, is flagged by {@code vm snapshot audit} and removed by {@code prune-expired}.
 */
class VmSnapshotE2EIT {
    static final Path WORK = BackupE2EIT.LAB_DIR.resolve(
            "sp-e2e-work-vmsnap-" + ProcessHandle.current().pid());
    static GuestLab guest;

    @BeforeAll
    static void requireLab() throws Exception {
        guest = E2eGuest.shared();
        E2eGuest.removeLeftoversOfDeadJvms(BackupE2EIT.LAB_DIR);
        E2eGuest.deleteTree(WORK);
        Files.createDirectories(WORK);
        Files.setPosixFilePermissions(WORK, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterAll
    static void cleanup() {
        if (guest != null) {
            // leave the shared guest without snapshots and running, whatever failed
            for (String s : GuestLab.virsh("snapshot-list", guest.name(), "--name", "--leaves")
                    .stdout()
                    .lines()
                    .map(String::strip)
                    .filter(l -> !l.isEmpty())
                    .toList()) GuestLab.virsh("snapshot-delete", guest.name(), s);
            if (!GuestLab.virsh("domstate", guest.name()).stdout().contains("running")) {
                GuestLab.virsh("start", guest.name());
                guest.waitForAgent(Duration.ofSeconds(240));
            }
        }
        System.clearProperty("stillpoint.connector");
        E2eGuest.deleteTree(WORK);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> jsonLines(String... args) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String l : cliLines(args).strip().split("\n")) out.add((Map<String, Object>) JSON.std.anyFrom(l));
        return out;
    }

    static Map<String, Object> snapshot(List<Map<String, Object>> lines, String name) {
        return lines.stream()
                .filter(m -> "vmSnapshot".equals(m.get("type")) && name.equals(m.get("name")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no snapshot " + name + " in " + lines));
    }

    static int exitCode(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        return cl.execute(args);
    }

    static String sh(String script) {
        return guest.sh(script).orThrow().stdout().strip();
    }

    static String disk() {
        Matcher m = Pattern.compile("(?m)^\\s*vda\\s+(\\S+)")
                .matcher(GuestLab.virsh("domblklist", guest.name()).orThrow().stdout());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    /** The hex dump of 64 KiB of the (shut-off) disk at 512 KiB, the gap before the first partition (qemu-io's timing line dropped). */
    static String blockDump(String disk) throws Exception {
        String out = HostPrograms.run("qemu-io", "-U", "-r", "-f", "qcow2", "-c", "read -v 512k 64k", disk);
        String dump = out.lines()
                .filter(l -> l.matches("^[0-9a-f]{8}:.*"))
                .collect(java.util.stream.Collectors.joining("\n"));
        assertThat(dump.lines().count()).as(out).isEqualTo(4096);
        return dump;
    }

    @Test
    void externalInternalWithAndWithoutMemory() throws Exception {
        String dom = guest.name();
        String base = disk();
        Path repo = WORK.resolve("repo");
        Repositories.init(repo, RepositoryOptions.unencrypted()).close();
        Map<String, Object> full = cli("backup", dom, "--repo", repo.toString(), "--json");
        assertThat(full).containsEntry("mode", "full");

        // 1. external, quiesced; writes; delete merges the overlay into its own backing file only
        Path overlays = WORK.resolve("overlays");
        Files.createDirectories(overlays);
        Map<String, Object> x1 =
                cli("vm", "snapshot", "create", dom, "x1", "--external", overlays.toString(), "--quiesce", "--json");
        assertThat(x1).containsEntry("kind", "external");
        assertThat((String) x1.get("consistency")).isIn("application", "filesystem");
        String overlay = overlays.resolve("vda.x1.qcow2").toString();
        assertThat(disk()).isEqualTo(overlay);
        sh("dd if=/dev/urandom of=/root/snap-ext.bin bs=1M count=16 status=none; sync");
        String extSum = sh("sha256sum /root/snap-ext.bin | cut -d' ' -f1");
        List<Map<String, Object>> list = jsonLines("vm", "snapshot", "list", dom, "--json");
        Map<String, Object> x1l = snapshot(list, "x1");
        assertThat(x1l)
                .containsEntry("kind", "external")
                .containsEntry("current", true)
                .containsEntry("consistency", x1.get("consistency"));
        @SuppressWarnings("unchecked")
        Map<String, Object> x1disk = ((List<Map<String, Object>>) x1l.get("disks")).get(0);
        assertThat(x1disk).containsEntry("file", overlay);
        assertThat(((Number) x1disk.get("fileBytes")).longValue())
                .as("overlay holds the 16 MiB written")
                .isGreaterThan(16L << 20);

        cli("vm", "snapshot", "delete", dom, "x1", "--json");
        assertThat(disk()).as("the disk is its original file again").isEqualTo(base);
        assertThat(Path.of(overlay)).doesNotExist();
        HostPrograms.run("qemu-img", "check", "-U", "-q", base);
        assertThat(sh("sync; echo 3 > /proc/sys/vm/drop_caches; sha256sum /root/snap-ext.bin | cut -d' ' -f1"))
                .as("the data written over the overlay is in the merged disk")
                .isEqualTo(extSum);

        Map<String, Object> inc = cli("backup", dom, "--repo", repo.toString(), "--json");
        long incRead = ((Number) inc.get("bytesRead")).longValue();
        System.out.printf(
                "e2e vmsnap: full read %s B, incremental after an external snapshot cycle read %d B%n",
                full.get("bytesRead"), incRead);
        assertThat(inc).as("the checkpoint survived the snapshot cycle").containsEntry("mode", "incremental");
        assertThat(incRead)
                .as("only the dirty bytes")
                .isGreaterThanOrEqualTo(16L << 20)
                .isLessThan(((Number) full.get("bytesRead")).longValue() / 4);

        // 2. internal with memory: revert brings back the file as it was
        sh("echo before > /root/snapmark; sync");
        Map<String, Object> m1 = cli("vm", "snapshot", "create", dom, "m1", "--memory", "--json");
        assertThat(m1).containsEntry("kind", "internal").containsEntry("consistency", "memory");
        sh("echo after > /root/snapmark; sync");
        list = jsonLines("vm", "snapshot", "list", dom, "--json");
        Map<String, Object> m1l = snapshot(list, "m1");
        assertThat(m1l)
                .containsEntry("memory", "internal")
                .containsEntry("state", "running")
                .containsEntry("current", true);
        long vmState = ((Number) m1l.get("vmStateBytes")).longValue();
        String info = HostPrograms.run("qemu-img", "info", "-U", "--output=json", base);
        Matcher vs = Pattern.compile("\"vm-state-size\":\\s*(\\d+)").matcher(info);
        assertThat(vs.find()).as(info).isTrue();
        assertThat(vmState)
                .as("VM SIZE from the qcow2 table = qemu-img's")
                .isEqualTo(Long.parseLong(vs.group(1)))
                .isGreaterThan(16L << 20);
        Map<String, Object> summary = list.get(list.size() - 1);
        assertThat(((Number) summary.get("vmStateBytes")).longValue()).isEqualTo(vmState);
        assertThat(((Number) summary.get("grownBytes")).longValue())
                .as("the qcow2 grew by at least the memory state")
                .isGreaterThanOrEqualTo(vmState / 2);

        cli("vm", "snapshot", "revert", dom, "m1", "--json");
        guest.waitForAgent(Duration.ofSeconds(120));
        assertThat(sh("cat /root/snapmark"))
                .as("revert restored the earlier contents")
                .isEqualTo("before");
        assertThat(exitCode("vm", "snapshot", "delete", dom, "no-such-snapshot"))
                .isEqualTo(ExitCodes.VM_SNAPSHOT_NOT_FOUND);
        cli("vm", "snapshot", "delete", dom, "m1", "--json");
        assertThat(HostPrograms.run("qemu-img", "snapshot", "-U", "-l", base)).doesNotContain("m1");

        // 3. internal without memory (shut off): revert undoes a block write; expiry, audit, prune
        sh("sync");
        GuestLab.virsh("destroy", dom).orThrow();
        String before = blockDump(base);
        Map<String, Object> d1 = cli("vm", "snapshot", "create", dom, "d1", "--expire", "2s", "--json");
        assertThat(d1).containsEntry("kind", "internal").containsEntry("consistency", "clean-shutdown");
        Map<String, Object> d1l = snapshot(jsonLines("vm", "snapshot", "list", dom, "--json"), "d1");
        assertThat(d1l).containsEntry("state", "shutoff").containsEntry("memory", "no");
        assertThat(((Number) d1l.get("vmStateBytes")).longValue()).isZero();
        HostPrograms.run("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 512k 64k", base);
        assertThat(blockDump(base)).as("the write landed").isNotEqualTo(before).contains("5a 5a 5a 5a");
        cli("vm", "snapshot", "revert", dom, "d1", "--json");
        assertThat(blockDump(base)).as("revert restored the block").isEqualTo(before);
        Thread.sleep(2500);
        String audit = cliLines("vm", "snapshot", "audit", dom, "--json");
        assertThat(audit.lines().filter(l -> l.contains("\"d1\"")).findFirst().orElseThrow())
                .contains("EXPIRED");
        assertThat(cliLines("snapshots", "audit", dom, "--json"))
                .as("the hidden old spelling")
                .contains("EXPIRED");
        List<Map<String, Object>> pruned = jsonLines("vm", "snapshot", "prune-expired", dom, "--json");
        assertThat(pruned.get(0)).containsEntry("type", "deleted").containsEntry("name", "d1");
        assertThat(snapshotsOf(dom)).isEmpty();
        GuestLab.virsh("start", dom).orThrow();
        guest.waitForAgent(Duration.ofSeconds(240));
    }

    static List<String> snapshotsOf(String dom) {
        return GuestLab.virsh("snapshot-list", dom, "--name")
                .orThrow()
                .stdout()
                .lines()
                .map(String::strip)
                .filter(l -> !l.isEmpty())
                .toList();
    }
}
