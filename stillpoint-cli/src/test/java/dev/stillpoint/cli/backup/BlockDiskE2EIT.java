package dev.stillpoint.cli.backup;

import static dev.stillpoint.cli.backup.BackupE2EIT.cli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.RepositoryOptions;
import dev.stillpoint.testkit.lab.GuestLab;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A {@code type='block'} disk (seed 004: an LVM volume; here a loop device, the kernels of these
 * hosts have no device-mapper) hot-plugged into the shared lab guest as vdb: backed up online twice
 * while the guest writes to it, each point restored bit-exact; a raw block device holds no
 * persistent bitmap, so both reads are full, the second stores only the changed chunks, and the
 * summary says why. A shut-off domain's block disk is read directly (qemu-nbd on the device).
 */
class BlockDiskE2EIT {
    static final long SIZE = 64L << 20;
    static Path WORK;
    static GuestLab guest;

    @BeforeAll
    static void setUp() throws Exception {
        guest = E2eGuest.shared();
        WORK = E2eGuest.workDir(BackupE2EIT.LAB_DIR, "block");
    }

    @AfterAll
    static void tearDown() {
        E2eGuest.removeWorkDir(WORK);
    }

    static String host(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertThat(p.waitFor()).as(String.join(" ", command) + ": " + out).isZero();
        return out;
    }

    @Test
    @SuppressWarnings("unchecked")
    void aLoopBlockDiskIsBackedUpOnlineTwiceAndRestoredBitExact() throws Exception {
        Path img = WORK.resolve("vdb.img");
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(SIZE);
            byte[] data = new byte[8 << 20];
            new Random(4).nextBytes(data);
            f.write(data); // 8 MiB of data, the rest zero
        }
        String loop = host("losetup", "--find", "--show", img.toString());
        Path repo = WORK.resolve("repo");
        Repositories.init(repo, RepositoryOptions.unencrypted()).close();
        try {
            GuestLab.virsh(
                            "attach-disk",
                            guest.name(),
                            loop,
                            "vdb",
                            "--live",
                            "--sourcetype",
                            "block",
                            "--driver",
                            "qemu",
                            "--subdriver",
                            "raw",
                            "--targetbus",
                            "virtio")
                    .orThrow();
            BackupE2EIT.sh(guest, "for i in $(seq 100); do [ -b /dev/vdb ] && exit 0; sleep 0.1; done; exit 1");
            BackupE2EIT.sh(guest, "dd if=/dev/urandom of=/dev/vdb bs=1M count=4 seek=16 oflag=direct conv=fsync");

            Map<String, Object> first = cli("backup", guest.name(), "--repo", repo.toString(), "--json");
            Path after1 = WORK.resolve("after1.img");
            Files.copy(img, after1); // the guest does not write vdb between the backup and here
            BackupE2EIT.sh(guest, "dd if=/dev/urandom of=/dev/vdb bs=1M count=1 seek=40 oflag=direct conv=fsync");
            Map<String, Object> second = cli("backup", guest.name(), "--repo", repo.toString(), "--json");

            for (Map<String, Object> b : List.of(first, second)) {
                assertThat(b).containsEntry("mode", "full");
                assertThat(b.get("checkpoint"))
                        .as("no bitmap, so no checkpoint")
                        .isNull();
                assertThat((List<String>) b.get("warnings"))
                        .anyMatch(w -> w.contains("vdb (raw, " + loop + ")") && w.contains("persistent dirty bitmap"));
            }
            Map<String, Object> vdb2 = disk(second, "vdb");
            long read = ((Number) vdb2.get("bytesRead")).longValue();
            long stored = ((Number) vdb2.get("storedBytes")).longValue();
            System.out.println("block e2e: second backup of " + loop + " read " + read + " bytes, stored " + stored);
            assertThat(read).as("a full read").isGreaterThanOrEqualTo(12L << 20);
            assertThat(stored).as("only the changed chunks").isLessThan(4L << 20);
            assertThat(GuestLab.virsh("checkpoint-list", guest.name(), "--name")
                            .orThrow()
                            .stdout())
                    .doesNotContain((String) first.get("backupId"));

            BackupE2EIT.sh(guest, "sync");
            GuestLab.virsh("detach-disk", guest.name(), "vdb", "--live").orThrow();
            for (Map<String, Object> b : List.of(first, second)) {
                String id = (String) b.get("backupId");
                Path to = WORK.resolve("r-" + id);
                Map<String, Object> r = cli(
                        "restore", id, "--repo", repo.toString(), "--to", to.toString(), "--format", "raw", "--json");
                Map<String, Object> restored = ((List<Map<String, Object>>) r.get("disks"))
                        .stream()
                                .filter(d -> "vdb".equals(d.get("target")))
                                .findFirst()
                                .orElseThrow();
                Path expected = b == first ? after1 : img;
                assertThat(Files.mismatch(Path.of((String) restored.get("file")), expected))
                        .as("backup " + id + " of vdb restored bit-exact")
                        .isEqualTo(-1L);
            }
            assertThat(Files.mismatch(after1, img))
                    .as("the second point differs from the first")
                    .isNotEqualTo(-1L);
        } finally {
            GuestLab.virsh("detach-disk", guest.name(), "vdb", "--live"); // already gone on success
            host("losetup", "-d", loop);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aShutOffDomainsBlockDiskIsReadDirectly() throws Exception {
        Path img = WORK.resolve("off.img");
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(16L << 20);
            byte[] data = new byte[3 << 20];
            new Random(5).nextBytes(data);
            f.seek(5L << 20);
            f.write(data);
        }
        String loop = host("losetup", "--find", "--show", img.toString());
        String name = E2eGuest.extraDomain("blockoff");
        Path xml = WORK.resolve(name + ".xml");
        Files.writeString(xml, """
                <domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory>
                  <os><type arch='x86_64'>hvm</type></os>
                  <devices><disk type='block' device='disk'><driver name='qemu' type='raw'/>
                    <source dev='%s'/><target dev='vda' bus='virtio'/></disk></devices>
                </domain>""".formatted(name, loop));
        Path repo = WORK.resolve("repo-off");
        Repositories.init(repo, RepositoryOptions.unencrypted()).close();
        try {
            GuestLab.virsh("define", xml.toString()).orThrow(); // never started: shut off
            Map<String, Object> b = cli("backup", name, "--repo", repo.toString(), "--json");
            assertThat(b).containsEntry("consistency", "clean-shutdown").containsEntry("mode", "full");
            Map<String, Object> r = cli(
                    "restore",
                    (String) b.get("backupId"),
                    "--repo",
                    repo.toString(),
                    "--to",
                    WORK.resolve("r-off").toString(),
                    "--format",
                    "raw",
                    "--json");
            Path restored = Path.of((String)
                    ((List<Map<String, Object>>) r.get("disks")).getFirst().get("file"));
            assertThat(Files.mismatch(restored, img)).as("restored bit-exact").isEqualTo(-1L);
        } finally {
            GuestLab.virsh("undefine", name);
            host("losetup", "-d", loop);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> disk(Map<String, Object> backup, String target) {
        return ((List<Map<String, Object>>) backup.get("disks"))
                .stream()
                        .filter(d -> target.equals(d.get("target")))
                        .findFirst()
                        .orElseThrow();
    }
}
