package dev.stillpoint.libvirt;

import dev.stillpoint.qemu.nbd.NbdClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Builds the two XML documents of {@code virDomainBackupBegin} for a pull-mode backup (measured
 * on libvirt 9.0, see shared/spec/libvirt-notes.md):
 * <pre>{@code
 * <domainbackup mode='pull'>
 *   <incremental>PREVIOUS</incremental>            (incrementals only; must be the first child)
 *   <server transport='unix' socket='/run/.../nbd.sock'/>
 *   <disks>
 *     <disk name='vda' backup='yes' type='file'><scratch file='SCRATCH/vda.scratch'/></disk>
 *     <disk name='vdb' backup='no'/>               (every other disk of the domain)
 *   </disks>
 * </domainbackup>
 *
 * <domaincheckpoint><name>NEW</name>
 *   <disks><disk name='vda' checkpoint='bitmap'/><disk name='vdb' checkpoint='no'/></disks>
 * </domaincheckpoint>
 * }</pre>
 * The NBD exports are named after the disks; an incremental's dirty bitmap is exported as meta
 * context {@code qemu:dirty-bitmap:backup-<disk>}.
 */
final class BackupXml {
    private BackupXml() {}

    /** @param disks disk target → whether it is backed up (all disks of the domain, in XML order) */
    static String backup(Map<String, Boolean> disks, Path socket, Path scratchDir, String incrementalFrom) {
        StringBuilder b = new StringBuilder("<domainbackup mode='pull'>\n");
        if (incrementalFrom != null)
            b.append("  <incremental>").append(Xml.escape(incrementalFrom)).append("</incremental>\n");
        b.append("  <server transport='unix' socket='")
                .append(Xml.escape(socket.toString()))
                .append("'/>\n");
        b.append("  <disks>\n");
        disks.forEach((disk, included) -> {
            if (included) {
                b.append("    <disk name='")
                        .append(Xml.escape(disk))
                        .append("' backup='yes' type='file'><scratch file='")
                        .append(Xml.escape(scratchFile(scratchDir, disk).toString()))
                        .append("'/></disk>\n");
            } else {
                b.append("    <disk name='").append(Xml.escape(disk)).append("' backup='no'/>\n");
            }
        });
        return b.append("  </disks>\n</domainbackup>\n").toString();
    }

    static String checkpoint(String name, Map<String, Boolean> disks) {
        StringBuilder b = new StringBuilder("<domaincheckpoint>\n  <name>")
                .append(Xml.escape(name))
                .append("</name>\n  <disks>\n");
        disks.forEach((disk, included) -> b.append("    <disk name='")
                .append(Xml.escape(disk))
                .append("' checkpoint='")
                .append(included ? "bitmap" : "no")
                .append("'/>\n"));
        return b.append("  </disks>\n</domaincheckpoint>\n").toString();
    }

    static Path scratchFile(Path scratchDir, String disk) {
        return scratchDir.resolve(disk + ".scratch");
    }

    static String dirtyBitmapContext(String disk) {
        return NbdClient.DIRTY_BITMAP_PREFIX + "backup-" + disk;
    }

    static List<Path> scratchFiles(Path scratchDir, List<String> disks) {
        return disks.stream().map(d -> scratchFile(scratchDir, d)).toList();
    }

    /** The unix socket of {@code <server transport='unix' socket='…'/>} in a backup job's XML, or null. */
    static String serverSocket(String backupXml) {
        org.w3c.dom.Element server = Xml.child(Xml.parse(backupXml, "backup job XML"), "server");
        return server == null ? null : Xml.attr(server, "socket");
    }
}
