package dev.stillpoint.engine.backup;

import dev.stillpoint.engine.vm.VmDisk;
import java.util.List;

/**
 * Disks that cannot carry a persistent dirty bitmap. libvirt keeps a checkpoint's bitmaps inside
 * qcow2 images only, so a raw disk (a raw block device such as an LVM volume, partition or loop
 * device, or a raw file) has none: its domain's online backups make no checkpoint, read every disk
 * in full each time, and the repository's deduplication stores only the chunks that changed.
 * The warning says so, naming the disks, in the run's warnings and the backup's record.
 */
final class NoBitmap {
    /** The warning code. */
    static final String WARNING = "no-dirty-bitmap";

    private NoBitmap() {}

    /** Why {@code disks} cannot be backed up incrementally, or null when every disk is qcow2. */
    static String why(List<VmDisk> disks) {
        List<String> raw = disks.stream()
                .filter(d -> !"qcow2".equals(d.format()))
                .map(d -> d.target() + " (" + d.format() + ", " + d.source() + ")")
                .toList();
        if (raw.isEmpty()) return null;
        return "disk " + String.join(", ", raw) + (raw.size() == 1 ? " is" : " are")
                + " not qcow2 and cannot hold a persistent dirty bitmap (libvirt checkpoints need qcow2): no"
                + " checkpoint is made, every disk is read in full and only changed chunks are stored";
    }
}
