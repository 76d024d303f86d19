package dev.stillpoint.engine.vm;

import java.time.Instant;
import java.util.List;

/**
 * A hypervisor snapshot of a domain (libvirt's {@code domainsnapshot}), as the connector reads it.
 *
 * @param name        the snapshot's name
 * @param description its free-text description (Stillpoint keeps its metadata line there), or null
 * @param created     creation time, or null when unknown
 * @param state       the domain's state when it was taken ({@code running}, {@code paused},
 *                    {@code shutoff}, {@code disk-snapshot}...)
 * @param parent      the parent snapshot's name, or null for a root
 * @param current     whether it is the domain's current snapshot
 * @param memory      {@code internal}, {@code external} or {@code no}: where the VM's memory went
 * @param disks       per disk: how it was snapshotted and, for an external one, its overlay
 */
public record VmSnapshot(
        String name,
        String description,
        Instant created,
        String state,
        String parent,
        boolean current,
        String memory,
        List<Disk> disks) {

    public VmSnapshot {
        disks = List.copyOf(disks);
    }

    /**
     * One disk of a snapshot.
     *
     * @param target the disk target, e.g. {@code vda}
     * @param mode   {@code internal}, {@code external} or {@code no}
     * @param file   for {@code internal}: the image holding the snapshot (the disk's source when
     *               taken); for {@code external}: the overlay file; may be null
     */
    public record Disk(String target, String mode, String file) {}

    /** Whether any disk has an external overlay (libvirt 9.0 cannot revert to those). */
    public boolean external() {
        return disks.stream().anyMatch(d -> "external".equals(d.mode())) || "external".equals(memory);
    }
}
