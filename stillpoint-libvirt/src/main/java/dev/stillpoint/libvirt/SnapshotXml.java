package dev.stillpoint.libvirt;

import dev.stillpoint.engine.vm.SnapshotRequest;
import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.engine.vm.VmSnapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.w3c.dom.Element;

/**
 * Snapshot XML, both ways.
 * <pre>{@code
 * <domainsnapshot>
 *   <name>N</name> <description>D</description>
 *   <state>running</state> <creationTime>1733461234</creationTime> <parent><name>P</name></parent>
 *   <memory snapshot='internal|external|no' [file='…']/>
 *   <disks><disk name='vda' snapshot='internal|external|no'><driver type='qcow2'/><source file='…'/></disk></disks>
 *   <domain>…</domain>   (the domain as it was; ignored here)
 * </domainsnapshot>
 * }</pre>
 * An internal snapshot's request names no disks (libvirt snapshots every qcow2 disk internally and,
 * for a running domain, the memory); an external one lists every disk: overlays named explicitly,
 * the others {@code snapshot='no'}, and {@code <memory snapshot='no'/>} (disk-only).
 */
final class SnapshotXml {
    private SnapshotXml() {}

    static String create(SnapshotRequest r, List<VmDisk> disks) {
        StringBuilder b = new StringBuilder("<domainsnapshot>\n  <name>")
                .append(Xml.escape(r.name()))
                .append("</name>\n");
        if (r.description() != null)
            b.append("  <description>").append(Xml.escape(r.description())).append("</description>\n");
        if (r.external()) {
            for (String target : r.overlays().keySet()) {
                if (disks.stream().noneMatch(d -> d.target().equals(target)))
                    throw new IllegalArgumentException(
                            "overlay for disk '" + target + "', which the domain does not have");
            }
            b.append("  <memory snapshot='no'/>\n  <disks>\n");
            for (VmDisk d : disks) {
                Path overlay = r.overlays().get(d.target());
                if (overlay == null) {
                    b.append("    <disk name='").append(Xml.escape(d.target())).append("' snapshot='no'/>\n");
                } else {
                    b.append("    <disk name='")
                            .append(Xml.escape(d.target()))
                            .append(
                                    "' snapshot='external' type='file'>\n      <driver type='qcow2'/>\n      <source file='")
                            .append(Xml.escape(overlay.toAbsolutePath().toString()))
                            .append("'/>\n    </disk>\n");
                }
            }
            b.append("  </disks>\n");
        }
        return b.append("</domainsnapshot>\n").toString();
    }

    /** A snapshot's XML as the engine's record; internal disks name the image they were taken in ({@code diskSources} when the XML does not say). */
    static VmSnapshot parse(String xml, boolean current, Map<String, String> diskSources) {
        Element root = Xml.parse(xml, "snapshot XML");
        CheckpointXml meta = CheckpointXml.parse(xml);
        Element memory = Xml.child(root, "memory");
        String memoryMode = Xml.attr(memory, "snapshot");
        List<VmSnapshot.Disk> disks = new ArrayList<>();
        // an internal snapshot lives in the image that was the disk's top when it was taken: the
        // snapshot's copy of the domain says which (the disk's source may be an overlay by now)
        Map<String, String> takenFrom = new java.util.HashMap<>();
        for (Element disk : Xml.children(Xml.child(Xml.child(root, "domain"), "devices"), "disk")) {
            String target = Xml.attr(Xml.child(disk, "target"), "dev");
            String file = Xml.attr(Xml.child(disk, "source"), "file");
            if (target != null && file != null) takenFrom.put(target, file);
        }
        for (Element disk : Xml.children(Xml.child(root, "disks"), "disk")) {
            String target = Xml.attr(disk, "name");
            String mode = Xml.attr(disk, "snapshot");
            String file = "external".equals(mode)
                    ? Xml.attr(Xml.child(disk, "source"), "file")
                    : "internal".equals(mode) ? takenFrom.getOrDefault(target, diskSources.get(target)) : null;
            disks.add(new VmSnapshot.Disk(target, mode == null ? "internal" : mode, file));
        }
        String state = Xml.childText(root, "state");
        return new VmSnapshot(
                meta.name(),
                Xml.childText(root, "description"),
                meta.created(),
                state,
                meta.parent(),
                current,
                memoryMode == null
                        ? ("shutoff".equals(state) || "disk-snapshot".equals(state) ? "no" : "internal")
                        : memoryMode,
                disks);
    }

    /**
     * The image chain of disk {@code target} in a domain XML, top (active) image first, following
     * {@code <backingStore>}; empty when the disk is absent or not file-backed.
     */
    static List<String> chain(String domainXml, String target) {
        Element domain = Xml.parse(domainXml, "domain XML");
        List<String> out = new ArrayList<>();
        for (Element disk : Xml.children(Xml.child(domain, "devices"), "disk")) {
            if (!target.equals(Xml.attr(Xml.child(disk, "target"), "dev"))) continue;
            Element layer = disk;
            while (layer != null) {
                String file = Xml.attr(Xml.child(layer, "source"), "file");
                if (file == null) break;
                out.add(file);
                layer = Xml.child(layer, "backingStore");
            }
        }
        return out;
    }

    /** {@code xml} with its {@code <description>} replaced (or added after {@code <name>}). */
    static String withDescription(String xml, String description) {
        Element root = Xml.parse(xml, "snapshot XML");
        Element d = Xml.child(root, "description");
        if (d == null) {
            d = root.getOwnerDocument().createElement("description");
            Element name = Xml.child(root, "name");
            root.insertBefore(d, name == null ? root.getFirstChild() : name.getNextSibling());
        }
        d.setTextContent(description);
        try {
            javax.xml.transform.Transformer t =
                    javax.xml.transform.TransformerFactory.newInstance().newTransformer();
            t.setOutputProperty(javax.xml.transform.OutputKeys.OMIT_XML_DECLARATION, "yes");
            java.io.StringWriter w = new java.io.StringWriter();
            t.transform(new javax.xml.transform.dom.DOMSource(root), new javax.xml.transform.stream.StreamResult(w));
            return w.toString();
        } catch (javax.xml.transform.TransformerException e) {
            throw new IllegalStateException("cannot write snapshot XML", e);
        }
    }
}
