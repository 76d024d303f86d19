package dev.stillpoint.qemu.qcow2;

import java.time.Duration;
import java.time.Instant;

/**
 * One entry of a qcow2 image's internal snapshot table.
 *
 * @param id          the snapshot's ID string (qemu-img's ID column)
 * @param name        its name (TAG; libvirt uses the snapshot's name)
 * @param date        creation time (host clock)
 * @param vmClock     the guest's run time at the snapshot (VM CLOCK)
 * @param vmStateSize bytes of saved memory and device state (VM SIZE); 0 for a disk-only snapshot
 * @param diskSize    the virtual disk size when the snapshot was taken, or -1 when not recorded
 * @param l1Size      entries of the snapshot's L1 table
 */
public record Qcow2Snapshot(
        String id, String name, Instant date, Duration vmClock, long vmStateSize, long diskSize, int l1Size) {}
