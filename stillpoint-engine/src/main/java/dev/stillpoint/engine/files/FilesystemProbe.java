package dev.stillpoint.engine.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Recognises the filesystems {@code --host-kernel} mounts most (ext2/3/4, xfs, btrfs) and the
 * signatures it must leave alone (swap, LVM physical volumes, LUKS) from their superblocks, in
 * Java: the answer {@code blkid -p} gives (TYPE, USAGE, UUID, LABEL) for those, without a child
 * process probing ~60 superblock kinds through FUSE and NBD (70 ms of a 0.5 s one-file restore).
 *
 * <p>{@link #probe} returns null when it is not sure (no signature it knows, or more than one:
 * blkid then decides, and says "ambivalent"); the caller runs {@code blkid -p} then. Values are
 * raw (labels are not escaped the way {@code blkid -o export} escapes them).
 */
final class FilesystemProbe {
    private FilesystemProbe() {}

    private static final int EXT_SUPER = 1024;
    private static final int BTRFS_SUPER = 64 << 10;
    // ext feature bits (e2fsprogs' ext2_fs.h), and blkid's rule for ext2 / ext3 / ext4
    private static final int COMPAT_HAS_JOURNAL = 0x4;
    private static final int INCOMPAT_JOURNAL_DEV = 0x8;
    private static final int EXT2_INCOMPAT_SUPP = 0x2 | 0x10; // filetype, meta_bg
    private static final int EXT3_INCOMPAT_SUPP = 0x2 | 0x4 | 0x10; // filetype, recover, meta_bg
    private static final int EXT23_RO_COMPAT_SUPP = 0x1 | 0x2 | 0x4; // sparse_super, large_file, btree_dir

    /**
     * TYPE, USAGE, UUID and LABEL (the last two when set) of the region of {@code size} bytes at
     * {@code offset} of {@code disk}, or null when blkid must decide.
     */
    static Map<String, String> probe(PartitionTable.Disk disk, long offset, long size) throws IOException {
        List<Map<String, String>> found = new ArrayList<>();
        if (size < 512) return null;
        // one read of the first 4 KiB holds the ext, xfs, swap, LVM and LUKS signatures (each read is a FUSE/NBD round
        // trip)
        ByteBuffer head = read(disk, offset, (int) Math.min(size, 4096));
        if (head.capacity() >= EXT_SUPER + 1024)
            add(found, ext(head.slice(EXT_SUPER, 1024).order(ByteOrder.LITTLE_ENDIAN)));
        add(found, xfs(head));
        if (size >= BTRFS_SUPER + 4096) add(found, btrfs(read(disk, offset + BTRFS_SUPER, 4096)));
        if (head.capacity() >= 4096) {
            add(found, swap(head));
            add(found, lvm(head));
            add(found, luks(head));
        }
        return found.size() == 1 ? found.get(0) : null;
    }

    private static void add(List<Map<String, String>> found, Map<String, String> one) {
        if (one != null) found.add(one);
    }

    private static ByteBuffer read(PartitionTable.Disk disk, long offset, int length) throws IOException {
        ByteBuffer b = disk.read(offset, length).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < length) throw new IOException("short read at " + offset);
        return b.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    static Map<String, String> ext(ByteBuffer sb) {
        if ((sb.getShort(56) & 0xffff) != 0xEF53) return null;
        int compat = sb.getInt(92), incompat = sb.getInt(96), roCompat = sb.getInt(100);
        String type;
        if ((incompat & INCOMPAT_JOURNAL_DEV) != 0) type = "jbd";
        else if ((compat & COMPAT_HAS_JOURNAL) == 0
                && (incompat & ~EXT2_INCOMPAT_SUPP) == 0
                && (roCompat & ~EXT23_RO_COMPAT_SUPP) == 0) type = "ext2";
        else if ((compat & COMPAT_HAS_JOURNAL) != 0
                && (incompat & ~EXT3_INCOMPAT_SUPP) == 0
                && (roCompat & ~EXT23_RO_COMPAT_SUPP) == 0) type = "ext3";
        else type = "ext4";
        return result(type, type.equals("jbd") ? "other" : "filesystem", uuid(sb, 104), label(sb, 120, 16));
    }

    static Map<String, String> xfs(ByteBuffer sb) {
        if (!ascii(sb, 0, "XFSB")) return null;
        return result("xfs", "filesystem", uuid(sb, 32), label(sb, 108, 12));
    }

    static Map<String, String> btrfs(ByteBuffer sb) {
        if (!ascii(sb, 0x40, "_BHRfS_M")) return null;
        return result("btrfs", "filesystem", uuid(sb, 0x20), label(sb, 0x12b, 256));
    }

    private static Map<String, String> swap(ByteBuffer head) {
        if (!ascii(head, 4096 - 10, "SWAPSPACE2") && !ascii(head, 4096 - 10, "SWAP-SPACE")) return null;
        return result("swap", "other", null, null);
    }

    private static Map<String, String> lvm(ByteBuffer head) {
        for (int sector = 0; sector < 4; sector++) {
            int at = sector * 512;
            if (ascii(head, at, "LABELONE") && ascii(head, at + 0x18, "LVM2 001"))
                return result("LVM2_member", "raid", null, null);
        }
        return null;
    }

    private static Map<String, String> luks(ByteBuffer head) {
        byte[] magic = {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe};
        for (int i = 0; i < magic.length; i++) if (head.get(i) != magic[i]) return null;
        return result("crypto_LUKS", "crypto", null, null);
    }

    private static Map<String, String> result(String type, String usage, String uuid, String label) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("TYPE", type);
        m.put("USAGE", usage);
        if (uuid != null) m.put("UUID", uuid);
        if (label != null) m.put("LABEL", label);
        return m;
    }

    private static boolean ascii(ByteBuffer b, int at, String s) {
        for (int i = 0; i < s.length(); i++) if (b.get(at + i) != (byte) s.charAt(i)) return false;
        return true;
    }

    /** 16 bytes as 8-4-4-4-12 lower-case hex; null when all zero (no UUID set). */
    private static String uuid(ByteBuffer b, int at) {
        StringBuilder s = new StringBuilder(36);
        boolean zero = true;
        for (int i = 0; i < 16; i++) {
            int v = b.get(at + i) & 0xff;
            zero &= v == 0;
            if (i == 4 || i == 6 || i == 8 || i == 10) s.append('-');
            s.append(Character.forDigit(v >> 4, 16)).append(Character.forDigit(v & 15, 16));
        }
        return zero ? null : s.toString();
    }

    /** A NUL-padded UTF-8 label; null when empty. */
    private static String label(ByteBuffer b, int at, int max) {
        int n = 0;
        while (n < max && b.get(at + n) != 0) n++;
        if (n == 0) return null;
        byte[] bytes = new byte[n];
        b.get(at, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
