package dev.stillpoint.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.engine.vm.SnapshotRequest;
import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.engine.vm.VmSnapshot;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

class SnapshotXmlTest {
    private static final List<VmDisk> DISKS = List.of(
            new VmDisk("vda", "/img/a.qcow2", "qcow2", null),
            new VmDisk("vdb", "/img/b.qcow2", "qcow2", null),
            new VmDisk("hdc", null, "raw", "cdrom"));

    @Test
    void externalRequestNamesEveryOverlayAndLeavesOtherDisksOut() {
        String xml = SnapshotXml.create(
                new SnapshotRequest("pre-upgrade", "a <b> & 'c'", Map.of("vda", Path.of("/ov/vda.pre-upgrade.qcow2"))),
                DISKS);
        Element root = Xml.parse(xml, "test");
        assertThat(Xml.childText(root, "name")).isEqualTo("pre-upgrade");
        assertThat(Xml.childText(root, "description")).isEqualTo("a <b> & 'c'");
        assertThat(Xml.attr(Xml.child(root, "memory"), "snapshot")).isEqualTo("no");
        List<Element> disks = Xml.children(Xml.child(root, "disks"), "disk");
        assertThat(disks)
                .extracting(d -> Xml.attr(d, "name") + "=" + Xml.attr(d, "snapshot"))
                .containsExactly("vda=external", "vdb=no", "hdc=no");
        assertThat(Xml.attr(Xml.child(disks.get(0), "source"), "file")).isEqualTo("/ov/vda.pre-upgrade.qcow2");
        assertThat(Xml.attr(Xml.child(disks.get(0), "driver"), "type")).isEqualTo("qcow2");
    }

    @Test
    void internalRequestLeavesMemoryAndDisksToLibvirt() {
        Element root = Xml.parse(SnapshotXml.create(new SnapshotRequest("s1", null, Map.of()), DISKS), "test");
        assertThat(Xml.child(root, "memory")).isNull();
        assertThat(Xml.child(root, "disks")).isNull();
        assertThat(Xml.child(root, "description")).isNull();
    }

    @Test
    void overlayForAnUnknownDiskIsRefused() {
        assertThatThrownBy(() ->
                        SnapshotXml.create(new SnapshotRequest("s", null, Map.of("vdz", Path.of("/x"))), DISKS))
                .hasMessageContaining("vdz");
    }

    @Test
    void parsesAnInternalSnapshotTakenInTheImageItsDomainCopyNames() {
        VmSnapshot s = SnapshotXml.parse("""
                <domainsnapshot><name>m1</name><description>before
                stillpoint: consistency=memory</description><state>running</state>
                  <parent><name>root</name></parent><creationTime>1763800000</creationTime>
                  <memory snapshot='internal'/>
                  <disks><disk name='vda' snapshot='internal'/><disk name='hdc' snapshot='no'/></disks>
                  <domain><devices><disk type='file'><source file='/img/a.qcow2'/><target dev='vda'/></disk></devices></domain>
                </domainsnapshot>""", true, Map.of("vda", "/img/overlay-now.qcow2"));
        assertThat(s.name()).isEqualTo("m1");
        assertThat(s.parent()).isEqualTo("root");
        assertThat(s.current()).isTrue();
        assertThat(s.state()).isEqualTo("running");
        assertThat(s.memory()).isEqualTo("internal");
        assertThat(s.created()).isEqualTo(Instant.ofEpochSecond(1763800000L));
        assertThat(s.description()).contains("stillpoint: consistency=memory");
        assertThat(s.external()).isFalse();
        assertThat(s.disks())
                .containsExactly(
                        new VmSnapshot.Disk("vda", "internal", "/img/a.qcow2"), new VmSnapshot.Disk("hdc", "no", null));
    }

    @Test
    void parsesAnExternalSnapshot() {
        VmSnapshot s = SnapshotXml.parse("""
                <domainsnapshot><name>x1</name><state>disk-snapshot</state><memory snapshot='no'/>
                  <disks><disk name='vda' snapshot='external' type='file'><source file='/ov/vda.x1.qcow2'/></disk></disks>
                </domainsnapshot>""", false, Map.of("vda", "/ov/vda.x1.qcow2"));
        assertThat(s.external()).isTrue();
        assertThat(s.parent()).isNull();
        assertThat(s.disks()).containsExactly(new VmSnapshot.Disk("vda", "external", "/ov/vda.x1.qcow2"));
    }

    @Test
    void chainFollowsBackingStores() {
        String domain = """
                <domain><devices>
                  <disk type='file' device='disk'><source file='/ov/vda.x2.qcow2'/>
                    <backingStore type='file'><source file='/ov/vda.x1.qcow2'/>
                      <backingStore type='file'><source file='/img/a.qcow2'/><backingStore/></backingStore>
                    </backingStore><target dev='vda'/></disk>
                  <disk type='file' device='disk'><source file='/img/b.qcow2'/><target dev='vdb'/></disk>
                </devices></domain>""";
        assertThat(SnapshotXml.chain(domain, "vda"))
                .containsExactly("/ov/vda.x2.qcow2", "/ov/vda.x1.qcow2", "/img/a.qcow2");
        assertThat(SnapshotXml.chain(domain, "vdb")).containsExactly("/img/b.qcow2");
        assertThat(SnapshotXml.chain(domain, "vdz")).isEmpty();
    }

    @Test
    void withDescriptionReplacesOrAddsIt() {
        String replaced = SnapshotXml.withDescription(
                "<domainsnapshot><name>a</name><description>old</description><state>running</state></domainsnapshot>",
                "new & <x>");
        Element r = Xml.parse(replaced, "test");
        assertThat(Xml.childText(r, "description")).isEqualTo("new & <x>");
        assertThat(Xml.childText(r, "state")).isEqualTo("running");
        String added = SnapshotXml.withDescription(
                "<domainsnapshot><name>a</name><state>shutoff</state></domainsnapshot>", "d");
        assertThat(Xml.childText(Xml.parse(added, "test"), "description")).isEqualTo("d");
    }
}
