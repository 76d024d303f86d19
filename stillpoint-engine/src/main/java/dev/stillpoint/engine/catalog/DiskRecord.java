package dev.stillpoint.engine.catalog;

/**
 * One disk of a backup.
 *
 * @param target         target dev in the domain, e.g. {@code vda}
 * @param source         source file on the host at backup time
 * @param format         {@code qcow2} or {@code raw}
 * @param size           virtual size in bytes
 * @param snapshotId     repository snapshot holding this disk's full image
 * @param parentSnapshot repository snapshot it was ingested against (null for a full read)
 * @param bytesRead      bytes read from the disk over NBD
 * @param storedBytes    bytes this snapshot added to the repository
 */
public record DiskRecord(
        String target,
        String source,
        String format,
        long size,
        String snapshotId,
        String parentSnapshot,
        long bytesRead,
        long storedBytes) {}
