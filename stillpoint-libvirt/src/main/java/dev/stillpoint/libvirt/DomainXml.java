package dev.stillpoint.libvirt;

import dev.stillpoint.engine.vm.VmDisk;
import java.util.ArrayList;
import java.util.List;
import org.w3c.dom.Element;

/**
 * Reads the disks of a libvirt domain XML:
 * <pre>{@code
 * <domain><devices>
 *   <disk type='file' device='disk'>
 *     <driver name='qemu' type='qcow2'/> <source file='/var/lib/libvirt/images/a.qcow2'/>
 *     <target dev='vda' bus='virtio'/> [<readonly/>]
 *   </disk> ...
 * }</pre>
 * A disk is included only when it is {@code device='disk'}, {@code type='file'} with a source
 * file or {@code type='block'} with a source device ({@code <source dev='/dev/vg/lv'/>}: an LVM
 * volume, a partition, a loop device), not read-only, in format qcow2 or raw; every other disk is
 * listed with the reason.
 */
final class DomainXml {
    private DomainXml() {}

    static List<VmDisk> disks(String domainXml) {
        Element domain = Xml.parse(domainXml, "domain XML");
        List<VmDisk> disks = new ArrayList<>();
        for (Element disk : Xml.children(Xml.child(domain, "devices"), "disk")) {
            String target = Xml.attr(Xml.child(disk, "target"), "dev");
            if (target == null) continue;
            String type = Xml.attr(disk, "type");
            String device = Xml.attr(disk, "device");
            String source = Xml.attr(Xml.child(disk, "source"), "block".equals(type) ? "dev" : "file");
            String format = Xml.attr(Xml.child(disk, "driver"), "type");
            if (format == null) format = "raw";
            disks.add(new VmDisk(
                    target,
                    source,
                    format,
                    skipReason(type, device, source, format, Xml.child(disk, "readonly") != null)));
        }
        return disks;
    }

    private static String skipReason(String type, String device, String source, String format, boolean readonly) {
        if (device != null && !device.equals("disk")) return device + " (device='" + device + "' is not a disk)";
        if (readonly) return "read-only";
        if (!"file".equals(type) && !"block".equals(type))
            return "not a file or block device (type='" + type + "'; only file- and block-backed disks are backed up)";
        if (source == null) return "block".equals(type) ? "no source device" : "no source file (empty drive)";
        if (!format.equals("qcow2") && !format.equals("raw"))
            return "format '" + format + "' (only qcow2 and raw are backed up)";
        return null;
    }

    /** Names of the domain's {@code <channel>} targets, e.g. {@code org.qemu.guest_agent.0}. */
    static boolean hasAgentChannel(String domainXml) {
        Element domain = Xml.parse(domainXml, "domain XML");
        for (Element ch : Xml.children(Xml.child(domain, "devices"), "channel")) {
            if ("org.qemu.guest_agent.0".equals(Xml.attr(Xml.child(ch, "target"), "name"))) return true;
        }
        return false;
    }
}
