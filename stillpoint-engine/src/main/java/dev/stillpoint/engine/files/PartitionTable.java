package dev.stillpoint.engine.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * The partitions of one guest disk, read from its MBR or GPT (sector size 512) in Java, so the
 * host-kernel path can map each partition with a loop device at its offset (these hosts' loop
 * driver makes no partition devices) and both paths can name a damaged table.
 *
 * <p>A GPT is trusted only when its header's and entries' CRC32s match; a damaged primary GPT
 * falls back to the backup at the disk's end. An MBR's primary entries and the logical
 * partitions of its extended partition (numbered from 5) must lie inside the disk.
 */
final class PartitionTable {
    static final int SECTOR = 512;
    private static final long GPT_SIGNATURE = 0x5452415020494645L; // "EFI PART"
    private static final int MAX_LOGICAL = 128;

    /** Reads {@code length} bytes of the disk at {@code offset}. */
    interface Disk {
        ByteBuffer read(long offset, int length) throws IOException;
    }

    /** Partition {@code number} (as the guest's kernel numbers it) at byte {@code offset}, {@code size} bytes. */
    record Partition(int number, long offset, long size) {}

    /** A table that is there but cannot be trusted; the message says why. */
    static final class DamagedException extends Exception {
        DamagedException(String message) {
            super(message);
        }
    }

    /** What a disk holds: "gpt", "mbr" or "none" (a filesystem, LVM or nothing on the whole disk). */
    record Table(String kind, List<Partition> partitions) {}

    private PartitionTable() {}

    static Table read(Disk disk, long diskSize) throws IOException, DamagedException {
        if (diskSize < 2 * SECTOR) return new Table("none", List.of());
        ByteBuffer mbr = le(disk.read(0, SECTOR));
        boolean signed = (mbr.getShort(510) & 0xffff) == 0xaa55;
        boolean protective = false;
        if (signed) for (int i = 0; i < 4; i++) if ((mbr.get(446 + 16 * i + 4) & 0xff) == 0xee) protective = true;
        ByteBuffer gptHeader = le(disk.read(SECTOR, SECTOR));
        if (protective || gptHeader.getLong(0) == GPT_SIGNATURE) return gpt(disk, diskSize, gptHeader);
        if (!signed || bootSector(mbr)) return new Table("none", List.of());
        return mbr(disk, diskSize, mbr);
    }

    /**
     * A FAT, exFAT or NTFS boot sector (a filesystem on the whole disk) also ends in 0x55AA: a
     * jump instruction and the filesystem's name where its boot sector keeps it tell it from an MBR.
     */
    private static boolean bootSector(ByteBuffer b) {
        int j = b.get(0) & 0xff;
        if (!(j == 0xeb && (b.get(2) & 0xff) == 0x90 || j == 0xe9)) return false;
        return ascii(b, 3, 8).startsWith("NTFS")
                || ascii(b, 3, 8).startsWith("EXFAT")
                || ascii(b, 54, 5).startsWith("FAT1")
                || ascii(b, 82, 5).startsWith("FAT32");
    }

    private static String ascii(ByteBuffer b, int at, int length) {
        byte[] bytes = new byte[length];
        b.get(at, bytes);
        return new String(bytes, java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static Table gpt(Disk disk, long diskSize, ByteBuffer primary) throws IOException, DamagedException {
        String why;
        try {
            return new Table("gpt", gptEntries(disk, diskSize, primary, 1));
        } catch (DamagedException e) {
            why = e.getMessage();
        }
        long lastLba = diskSize / SECTOR - 1;
        ByteBuffer backup = le(disk.read(lastLba * SECTOR, SECTOR));
        try {
            return new Table("gpt", gptEntries(disk, diskSize, backup, lastLba));
        } catch (DamagedException e) {
            throw new DamagedException("GPT damaged (" + why + "; backup GPT: " + e.getMessage() + ")");
        }
    }

    private static List<Partition> gptEntries(Disk disk, long diskSize, ByteBuffer h, long expectLba)
            throws IOException, DamagedException {
        if (h.getLong(0) != GPT_SIGNATURE) throw new DamagedException("no GPT signature at LBA " + expectLba);
        int headerSize = h.getInt(12);
        if (headerSize < 92 || headerSize > SECTOR) throw new DamagedException("header size " + headerSize);
        int stored = h.getInt(16);
        byte[] copy = new byte[headerSize];
        h.get(0, copy);
        copy[16] = copy[17] = copy[18] = copy[19] = 0;
        if (crc(copy) != stored) throw new DamagedException("header CRC mismatch");
        if (h.getLong(24) != expectLba) throw new DamagedException("header names LBA " + h.getLong(24));
        long entriesLba = h.getLong(72);
        int count = h.getInt(80);
        int entrySize = h.getInt(84);
        if (count < 0 || count > 4096 || entrySize < 128 || entrySize > 4096 || entrySize % 8 != 0)
            throw new DamagedException("entry table of " + count + " x " + entrySize + " bytes");
        long bytes = (long) count * entrySize;
        if (entriesLba < 1 || entriesLba * SECTOR + bytes > diskSize)
            throw new DamagedException("entry table outside the disk");
        ByteBuffer entries = le(disk.read(entriesLba * SECTOR, (int) bytes));
        byte[] raw = new byte[(int) bytes];
        entries.get(0, raw);
        if (crc(raw) != h.getInt(88)) throw new DamagedException("entry table CRC mismatch");
        List<Partition> out = new ArrayList<>();
        long sectors = diskSize / SECTOR;
        for (int i = 0; i < count; i++) {
            int at = i * entrySize;
            if (entries.getLong(at) == 0 && entries.getLong(at + 8) == 0) continue; // unused entry
            long first = entries.getLong(at + 32);
            long last = entries.getLong(at + 40);
            if (first < 1 || last < first || last >= sectors)
                throw new DamagedException(
                        "partition " + (i + 1) + " spans sectors " + first + ".." + last + " of a disk of " + sectors);
            out.add(new Partition(i + 1, first * SECTOR, (last - first + 1) * SECTOR));
        }
        return out;
    }

    private static Table mbr(Disk disk, long diskSize, ByteBuffer mbr) throws IOException, DamagedException {
        List<Partition> out = new ArrayList<>();
        long sectors = diskSize / SECTOR;
        for (int i = 0; i < 4; i++) {
            int at = 446 + 16 * i;
            int type = mbr.get(at + 4) & 0xff;
            long start = Integer.toUnsignedLong(mbr.getInt(at + 8));
            long count = Integer.toUnsignedLong(mbr.getInt(at + 12));
            if (type == 0 || count == 0) continue;
            int status = mbr.get(at) & 0xff;
            if (status != 0 && status != 0x80)
                throw new DamagedException("MBR entry " + (i + 1) + " has status 0x" + Integer.toHexString(status));
            if (start == 0 || start + count > sectors)
                throw new DamagedException("MBR partition " + (i + 1) + " spans sectors " + start + "+" + count
                        + " of a disk of " + sectors);
            if (type == 0x05 || type == 0x0f || type == 0x85) logical(disk, sectors, start, out);
            else out.add(new Partition(i + 1, start * SECTOR, count * SECTOR));
        }
        return new Table("mbr", out);
    }

    /** The chain of extended boot records from {@code extStart}: logical partitions 5, 6, ... */
    private static void logical(Disk disk, long sectors, long extStart, List<Partition> out)
            throws IOException, DamagedException {
        long ebr = extStart;
        for (int n = 5; n < 5 + MAX_LOGICAL; n++) {
            ByteBuffer b = le(disk.read(ebr * SECTOR, SECTOR));
            if ((b.getShort(510) & 0xffff) != 0xaa55)
                throw new DamagedException("extended boot record at sector " + ebr + " has no signature");
            long start = ebr + Integer.toUnsignedLong(b.getInt(446 + 8));
            long count = Integer.toUnsignedLong(b.getInt(446 + 12));
            if ((b.get(446 + 4) & 0xff) != 0 && count > 0) {
                if (start + count > sectors)
                    throw new DamagedException("logical partition " + n + " lies beyond the disk's end");
                out.add(new Partition(n, start * SECTOR, count * SECTOR));
            }
            long next = Integer.toUnsignedLong(b.getInt(446 + 16 + 8));
            if (next == 0 || (b.get(446 + 16 + 4) & 0xff) == 0) return;
            ebr = extStart + next;
            if (ebr >= sectors) throw new DamagedException("extended boot record beyond the disk's end");
        }
        throw new DamagedException("more than " + MAX_LOGICAL + " logical partitions (a loop in the EBR chain?)");
    }

    private static ByteBuffer le(ByteBuffer b) {
        return b.order(ByteOrder.LITTLE_ENDIAN);
    }

    private static int crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return (int) c.getValue();
    }
}
