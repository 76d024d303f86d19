package dev.stillpoint.libvirt;

import java.time.Instant;
import org.w3c.dom.Element;

/**
 * The parts of a checkpoint ({@code <domaincheckpoint>}) or snapshot ({@code <domainsnapshot>})
 * XML used for ordering and audits: name, parent, creationTime (seconds since the epoch), and
 * the summed {@code size} attributes of its disks (present with VIR_DOMAIN_CHECKPOINT_XML_SIZE).
 */
record CheckpointXml(String name, String parent, Instant created, long sizeBytes) {
    static CheckpointXml parse(String xml) {
        Element root = Xml.parse(xml, "checkpoint XML");
        String name = Xml.childText(root, "name");
        Element parent = Xml.child(root, "parent");
        String parentName = parent == null ? null : Xml.childText(parent, "name");
        String ct = Xml.childText(root, "creationTime");
        Instant created = ct == null || ct.isEmpty() ? null : Instant.ofEpochSecond(Long.parseLong(ct));
        long size = -1;
        for (Element disk : Xml.children(Xml.child(root, "disks"), "disk")) {
            String s = Xml.attr(disk, "size");
            if (s != null) size = Math.max(size, 0) + Long.parseLong(s);
        }
        return new CheckpointXml(name, parentName, created, size);
    }
}
