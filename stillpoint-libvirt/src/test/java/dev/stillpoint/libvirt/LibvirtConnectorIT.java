package dev.stillpoint.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import dev.stillpoint.qemu.nbd.BlockExtent;
import dev.stillpoint.qemu.nbd.NbdClient;
import dev.stillpoint.testkit.HostPrograms;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real libvirt (qemu:///system) with a TCG domain that has no OS (it sits in the firmware, which
 * is enough for backups and checkpoints): full and incremental pull backups read with the
 * NbdClient, checkpoints, guest agent absent, error codes.
 */
class LibvirtConnectorIT {
    private static final long SIZE = 64L << 20;
    private static final String ALLOC = NbdClient.BASE_ALLOCATION;

    private Path dir;
    private String name;
    private LibvirtConnector connector;
    private VmDomain domain;

    @BeforeEach
    void setUp() throws Exception {
        HostPrograms.require("qemu-img", "qemu-io", "qemu-system-x86_64", "libvirtd", "virsh");
        startDaemons();
        dir = Files.createTempDirectory(
                Path.of("/var/tmp"),
                "sp-proto-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        name = "sp-proto-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        connector = LibvirtConnector.open();
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (domain != null) {
                try {
                    domain.destroy();
                } catch (VmException e) {
                    /* not running */
                }
                try {
                    domain.undefine();
                } catch (VmException e) {
                    /* already gone */
                }
            }
        } finally {
            run(false, "virsh", "-c", "qemu:///system", "destroy", name);
            run(
                    false,
                    "virsh",
                    "-c",
                    "qemu:///system",
                    "undefine",
                    name,
                    "--checkpoints-metadata",
                    "--snapshots-metadata");
            if (connector != null) connector.close();
            if (dir != null) deleteTree(dir);
        }
    }

    @Test
    void fullAndIncrementalPullBackupsReadOverNbd() throws Exception {
        Path image = dir.resolve("disk.qcow2");
        run(true, "qemu-img", "create", "-q", "-f", "qcow2", image.toString(), Long.toString(SIZE));
        run(
                true,
                "qemu-io",
                "-f",
                "qcow2",
                image.toString(),
                "-c",
                "write -P 0x5a 0 32M",
                "-c",
                "write -P 0xc3 40M 256k");
        Path expectedRaw = dir.resolve("expected.raw");
        run(true, "qemu-img", "convert", "-f", "qcow2", "-O", "raw", image.toString(), expectedRaw.toString());
        byte[] expected = Files.readAllBytes(expectedRaw);

        domain = connector.define(domainXml(name, image));
        assertThat(connector.find(name)).map(VmDomain::uuid).contains(domain.uuid());
        assertThat(connector.find(domain.uuid())).map(VmDomain::name).contains(name);
        assertThat(connector.domainNames()).contains(name);
        assertThat(domain.state()).isEqualTo(VmDomain.State.SHUTOFF);
        List<VmDisk> disks = domain.disks();
        assertThat(disks).extracting(VmDisk::target).containsExactly("hda", "hdc");
        assertThat(disks.get(0)).isEqualTo(new VmDisk("hda", image.toString(), "qcow2", null));
        assertThat(disks.get(1).included()).isFalse();
        assertThat(disks.get(1).skipReason()).contains("cdrom");

        domain.start();
        assertThat(domain.state()).isEqualTo(VmDomain.State.RUNNING);
        assertThat(domain.xml(true)).contains("<name>" + name + "</name>");

        Path socket = dir.resolve("run").resolve("nbd.sock");
        Path scratch = dir.resolve("scratch");
        long t0 = System.nanoTime();
        VmDomain.BackupSession full = domain.beginBackup(List.of("hda"), socket, scratch, "cp1", null);
        try (full) {
            long beginMs = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("virDomainBackupBegin (full) took " + beginMs + " ms");
            assertThat(full.socket()).isEqualTo(socket);
            assertThat(full.exportName("hda")).isEqualTo("hda");
            assertThat(full.dirtyBitmapContext("hda")).isNull();
            try (NbdClient nbd = NbdClient.connect(full.socket(), full.exportName("hda"), List.of(ALLOC))) {
                assertThat(nbd.size()).isEqualTo(SIZE);
                ByteBuffer all = ByteBuffer.allocate((int) SIZE);
                long r0 = System.nanoTime();
                nbd.read(0, all);
                double s = (System.nanoTime() - r0) / 1e9;
                System.out.printf(
                        "NBD read of the %d MiB export (pull backup): %.2f s = %.0f MiB/s%n",
                        SIZE >> 20, s, (SIZE >> 20) / s);
                assertThat(Arrays.mismatch(all.array(), expected))
                        .as("first byte differing from the source image")
                        .isEqualTo(-1);
                List<BlockExtent> data = allExtents(nbd, ALLOC).stream()
                        .filter(e -> !e.hole() && !e.zero())
                        .toList();
                assertThat(sum(data)).as("allocated data bytes").isEqualTo((32L << 20) + (256L << 10));
            }
        }
        long c0 = System.nanoTime();
        full.close(); // idempotent: already closed above; measures nothing but must not fail
        System.out.println("second BackupSession.close took " + (System.nanoTime() - c0) / 1_000_000 + " ms");
        assertThat(socket).doesNotExist();
        assertThat(scratch.resolve("hda.scratch")).doesNotExist();
        assertThat(domain.checkpoints()).containsExactly("cp1");

        // the guest (here: QEMU's own qemu-io, standing in for the OS) writes 64 KiB at 2 MiB
        guestWrite(name, "ide0-0-0", "write -P 0xee 48M 64k");

        try (VmDomain.BackupSession inc = domain.beginBackup(List.of("hda"), socket, scratch, "cp2", "cp1")) {
            String dirty = inc.dirtyBitmapContext("hda");
            assertThat(dirty).isEqualTo("qemu:dirty-bitmap:backup-hda");
            try (NbdClient nbd = NbdClient.connect(inc.socket(), inc.exportName("hda"), List.of(ALLOC, dirty))) {
                assertThat(nbd.hasContext(dirty)).isTrue();
                List<BlockExtent> changed = allExtents(nbd, dirty).stream()
                        .filter(BlockExtent::dirty)
                        .toList();
                assertThat(changed).containsExactly(new BlockExtent(48L << 20, 64 << 10, BlockExtent.STATE_DIRTY));
                ByteBuffer b = ByteBuffer.allocate(64 << 10);
                nbd.read(48L << 20, b);
                byte[] ee = new byte[64 << 10];
                Arrays.fill(ee, (byte) 0xee);
                assertThat(b.array()).isEqualTo(ee);
            }
        }
        assertThat(domain.checkpoints()).containsExactly("cp1", "cp2");
        assertThat(domain.leftovers())
                .extracting(VmDomain.Leftover::kind, VmDomain.Leftover::name)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("checkpoint", "cp1"),
                        org.assertj.core.groups.Tuple.tuple("checkpoint", "cp2"));

        assertThatThrownBy(() -> domain.beginBackup(List.of("hda"), socket, scratch, "cp3", "no-such-checkpoint"))
                .isInstanceOf(VmException.class)
                .satisfies(e -> assertThat(((VmException) e).code()).isEqualTo(VmException.Code.CHECKPOINT_INVALID))
                .hasMessageContaining("no-such-checkpoint");
        assertThat(domain.checkpoints()).containsExactly("cp1", "cp2");

        domain.deleteCheckpoint("cp1");
        assertThat(domain.checkpoints()).containsExactly("cp2");
        assertThatThrownBy(() -> domain.deleteCheckpoint("cp1"))
                .satisfies(e -> assertThat(((VmException) e).code()).isEqualTo(VmException.Code.NOT_FOUND));

        // no guest agent answers: ping is false, freeze fails with AGENT_UNAVAILABLE, both promptly
        long p0 = System.nanoTime();
        assertThat(domain.agent().ping(Duration.ofSeconds(2))).isFalse();
        assertThatThrownBy(() -> domain.agent().freeze(Duration.ofSeconds(2)))
                .satisfies(e -> assertThat(((VmException) e).code())
                        .isIn(VmException.Code.AGENT_UNAVAILABLE, VmException.Code.FREEZE_TIMEOUT));
        assertThat(Duration.ofNanos(System.nanoTime() - p0)).isLessThan(Duration.ofSeconds(8));

        domain.destroy();
        assertThat(domain.state()).isEqualTo(VmDomain.State.SHUTOFF);
        assertThatThrownBy(() -> domain.beginBackup(List.of("hda"), socket, scratch, "cp4", null))
                .satisfies(e -> assertThat(((VmException) e).code()).isEqualTo(VmException.Code.BACKUP_FAILED))
                .hasMessageContaining("inactive");
        domain.undefine();
        assertThat(connector.find(name)).isEmpty();
        assertThatThrownBy(() -> domain.state())
                .satisfies(e -> assertThat(((VmException) e).code()).isEqualTo(VmException.Code.NOT_FOUND));
        domain = null;
    }

    @Test
    void errorPathsCarryStableCodes() throws Exception {
        assertThat(connector.find("sp-proto-no-such-domain")).isEmpty();
        assertThat(connector.find("00000000-0000-0000-0000-000000000000")).isEmpty();
        assertThatThrownBy(() -> connector.require("sp-proto-no-such-domain"))
                .satisfies(e -> assertThat(((VmException) e).code()).isEqualTo(VmException.Code.NOT_FOUND))
                .hasMessageContaining("sp-proto-no-such-domain");
        assertThatThrownBy(() -> connector.define("<domain type='qemu'><name>" + name + "</name>"))
                .satisfies(e -> assertThat(((VmException) e).code()).isEqualTo(VmException.Code.OPERATION_FAILED));
        assertThatThrownBy(() -> LibvirtConnector.open("test+unix:///nonexistent/path"))
                .satisfies(e -> assertThat(((VmException) e).code()).isEqualTo(VmException.Code.CONNECTION_FAILED));

        // a defined domain without an agent channel, never started
        domain = connector.define(domainXml(name, null));
        assertThat(domain.agent().ping(Duration.ofSeconds(1))).isFalse();
        assertThatThrownBy(() -> domain.agent().freeze(Duration.ofSeconds(1)))
                .satisfies(e -> assertThat(((VmException) e).code()).isEqualTo(VmException.Code.AGENT_UNAVAILABLE));
        assertThat(domain.checkpoints()).isEmpty();
        assertThat(domain.leftovers()).isEmpty();
    }

    /**
     * Writes into the running domain's disk through QEMU's HMP qemu-io, standing in for a guest OS
     * (test support only). Addressed by qdev id: an IDE disk's device owns its block backend (a
     * virtio-blk proxy does not, and the node itself refuses a second writer).
     */
    static void guestWrite(String domain, String qdevId, String qemuIoCommand) throws Exception {
        String out = output(
                "virsh",
                "-c",
                "qemu:///system",
                "qemu-monitor-command",
                domain,
                "--hmp",
                "qemu-io -d " + qdevId + " \"" + qemuIoCommand + "\"");
        if (out.toLowerCase(java.util.Locale.ROOT).matches("(?s).*(error|conflict|not).*"))
            throw new AssertionError("HMP qemu-io on " + qdevId + " did not write: " + out);
    }

    static String output(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
            throw new AssertionError(String.join(" ", command) + " failed: " + out);
        return out;
    }

    static String domainXml(String name, Path image) {
        String disk = image == null ? "" : """
                    <disk type='file' device='disk'>
                      <driver name='qemu' type='qcow2'/>
                      <source file='%s'/>
                      <target dev='hda' bus='ide'/>
                    </disk>
                    <disk type='file' device='cdrom'>
                      <driver name='qemu' type='raw'/>
                      <target dev='hdc' bus='ide'/>
                      <readonly/>
                    </disk>
                    <channel type='unix'>
                      <target type='virtio' name='org.qemu.guest_agent.0'/>
                    </channel>
                """.formatted(image);
        return """
                <domain type='qemu'>
                  <name>%s</name>
                  <memory unit='MiB'>64</memory>
                  <vcpu>1</vcpu>
                  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
                  <devices>
                %s    <memballoon model='none'/>
                  </devices>
                </domain>
                """.formatted(name, disk);
    }

    static List<BlockExtent> allExtents(NbdClient nbd, String context) throws IOException {
        List<BlockExtent> all = new ArrayList<>();
        long at = 0;
        while (at < nbd.size()) {
            List<BlockExtent> part = nbd.blockStatus(context, at, nbd.size() - at);
            all.addAll(part);
            at = part.get(part.size() - 1).end();
        }
        return all;
    }

    private static long sum(List<BlockExtent> extents) {
        return extents.stream().mapToLong(BlockExtent::length).sum();
    }

    static void startDaemons() throws Exception {
        if (run(false, "pgrep", "-x", "virtlogd") != 0) run(true, "virtlogd", "-d");
        if (run(false, "pgrep", "-x", "libvirtd") != 0) {
            run(true, "libvirtd", "-d");
            for (int i = 0; i < 50 && run(false, "virsh", "-c", "qemu:///system", "version") != 0; i++)
                Thread.sleep(200);
        }
    }

    static int run(boolean check, String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within 60 s");
        }
        if (check && p.exitValue() != 0)
            throw new AssertionError(String.join(" ", command) + " exited " + p.exitValue() + ": " + out);
        return p.exitValue();
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
