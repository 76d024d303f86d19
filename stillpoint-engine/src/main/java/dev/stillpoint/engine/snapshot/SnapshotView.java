package dev.stillpoint.engine.snapshot;

import java.time.Instant;
import java.util.List;

/**
 * A VM snapshot as {@code vm snapshot list} shows it.
 *
 * @param kind          {@code internal} or {@code external}
 * @param memory        {@code internal}, {@code external} or {@code no}
 * @param vmStateBytes  internal snapshots: VM state saved in the image (qcow2 snapshot table's VM
 *                      SIZE, summed over disks); 0 for disk-only; -1 when the table could not be read
 * @param expired       whether {@code metadata.expires} has passed
 */
public record SnapshotView(
        String name,
        Instant created,
        String state,
        String parent,
        boolean current,
        String kind,
        String memory,
        SnapshotMetadata metadata,
        boolean expired,
        long vmStateBytes,
        List<Disk> disks) {

    public SnapshotView {
        disks = List.copyOf(disks);
    }

    /**
     * @param file        the overlay (external) or the image holding the snapshot (internal)
     * @param fileBytes   that file's size now, -1 when it cannot be read
     * @param vmStateBytes internal: this disk's VM SIZE entry; -1 when not internal or unreadable
     */
    public record Disk(String target, String mode, String file, long fileBytes, long vmStateBytes) {}

    /**
     * An image file holding internal snapshots.
     *
     * @param grownBytes size now minus the size recorded just before the oldest Stillpoint snapshot
     *                   in it, -1 when no snapshot recorded one
     */
    public record Image(String file, long fileBytes, int snapshots, long vmStateBytes, long grownBytes) {}
}
