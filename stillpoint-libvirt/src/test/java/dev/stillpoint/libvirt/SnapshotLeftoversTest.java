package dev.stillpoint.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.engine.vm.VmDomain.Leftover;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotLeftoversTest {
    @TempDir
    Path dir;

    @Test
    void internalSnapshotWithMemory() {
        List<Leftover> l = LibvirtDomain.snapshotLeftovers("""
                <domainsnapshot><name>before-upgrade</name><state>running</state>
                  <creationTime>1763800000</creationTime><memory snapshot='internal'/>
                  <disks><disk name='vda' snapshot='internal'/><disk name='hdc' snapshot='no'/></disks>
                </domainsnapshot>""");
        assertThat(l)
                .containsExactly(new Leftover(
                        "internal-snapshot", "before-upgrade", null, -1, Instant.ofEpochSecond(1763800000L)));
    }

    @Test
    void externalDiskOnlySnapshotListsEachOverlayWithItsSize() throws Exception {
        Path overlay = dir.resolve("web1.snap1.qcow2");
        Files.write(overlay, new byte[4096]);
        List<Leftover> l = LibvirtDomain.snapshotLeftovers("""
                <domainsnapshot><name>snap1</name><creationTime>1763800100</creationTime><memory snapshot='no'/>
                  <disks><disk name='vda' snapshot='external' type='file'><driver type='qcow2'/><source file='%s'/></disk>
                         <disk name='vdb' snapshot='external' type='file'><source file='/nonexistent/x.qcow2'/></disk></disks>
                </domainsnapshot>""".formatted(overlay));
        assertThat(l)
                .containsExactly(
                        new Leftover(
                                "external-snapshot",
                                "snap1:vda",
                                overlay.toString(),
                                4096,
                                Instant.ofEpochSecond(1763800100L)),
                        new Leftover(
                                "external-snapshot",
                                "snap1:vdb",
                                "/nonexistent/x.qcow2",
                                -1,
                                Instant.ofEpochSecond(1763800100L)));
    }
}
