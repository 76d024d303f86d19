package dev.stillpoint.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

class BackupXmlTest {
    private final Map<String, Boolean> plan = new LinkedHashMap<>(Map.of("vda", true));

    BackupXmlTest() {
        plan.put("vdb", false);
    }

    @Test
    void fullBackupXmlHasServerAndScratchPerIncludedDisk() {
        String xml = BackupXml.backup(plan, Path.of("/run/sp/nbd.sock"), Path.of("/var/tmp/sp/scratch"), null);
        Element root = Xml.parse(xml, "backup");
        assertThat(root.getTagName()).isEqualTo("domainbackup");
        assertThat(root.getAttribute("mode")).isEqualTo("pull");
        assertThat(Xml.child(root, "incremental")).isNull();
        Element server = Xml.child(root, "server");
        assertThat(server.getAttribute("transport")).isEqualTo("unix");
        assertThat(server.getAttribute("socket")).isEqualTo("/run/sp/nbd.sock");
        List<Element> disks = Xml.children(Xml.child(root, "disks"), "disk");
        assertThat(disks).hasSize(2);
        assertThat(disks.get(0).getAttribute("backup")).isEqualTo("yes");
        assertThat(disks.get(0).getAttribute("type")).isEqualTo("file");
        assertThat(Xml.child(disks.get(0), "scratch").getAttribute("file"))
                .isEqualTo("/var/tmp/sp/scratch/vda.scratch");
        assertThat(disks.get(1).getAttribute("backup")).isEqualTo("no");
    }

    @Test
    void incrementalIsTheFirstChild() {
        String xml = BackupXml.backup(plan, Path.of("/s"), Path.of("/t"), "sp-2026<1>");
        Element root = Xml.parse(xml, "backup");
        Element first = (Element) root.getElementsByTagName("*").item(0);
        assertThat(first.getTagName()).isEqualTo("incremental");
        assertThat(first.getTextContent()).isEqualTo("sp-2026<1>");
        assertThat(BackupXml.dirtyBitmapContext("vda")).isEqualTo("qemu:dirty-bitmap:backup-vda");
    }

    @Test
    void checkpointXmlBitmapsOnlyIncludedDisks() {
        Element root = Xml.parse(BackupXml.checkpoint("sp-1", plan), "checkpoint");
        assertThat(Xml.childText(root, "name")).isEqualTo("sp-1");
        List<Element> disks = Xml.children(Xml.child(root, "disks"), "disk");
        assertThat(disks)
                .extracting(d -> d.getAttribute("name") + "=" + d.getAttribute("checkpoint"))
                .containsExactly("vda=bitmap", "vdb=no");
    }

    @Test
    void checkpointXmlParsesParentCreationTimeAndSize() {
        CheckpointXml cp = CheckpointXml.parse("""
                <domaincheckpoint><name>cp2</name><parent><name>cp1</name></parent>
                  <creationTime>1763800000</creationTime>
                  <disks><disk name='vda' checkpoint='bitmap' bitmap='cp2' size='1048576'/>
                         <disk name='vdb' checkpoint='bitmap' bitmap='cp2' size='65536'/></disks>
                </domaincheckpoint>""");
        assertThat(cp).isEqualTo(new CheckpointXml("cp2", "cp1", Instant.ofEpochSecond(1763800000L), 1048576 + 65536));
        assertThat(CheckpointXml.parse("<domaincheckpoint><name>a</name></domaincheckpoint>")
                        .sizeBytes())
                .isEqualTo(-1);
    }
}
