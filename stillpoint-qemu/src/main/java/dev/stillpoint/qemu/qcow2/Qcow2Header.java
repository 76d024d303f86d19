package dev.stillpoint.qemu.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The parts of a qcow2 image's header and snapshot table that {@code qemu-img snapshot -l} shows.
 * Read with {@link #read(Path)}; layouts are drawn in {@code package-info.java}.
 *
 * @param version      2 or 3
 * @param clusterSize  bytes per cluster
 * @param virtualSize  the disk's virtual size in bytes
 * @param backingFile  the backing file name as recorded, or null
 * @param snapshots    the internal snapshot table, in table order
 */
public record Qcow2Header(
        int version, int clusterSize, long virtualSize, String backingFile, List<Qcow2Snapshot> snapshots) {
    static final int MAGIC = 0x514649fb;
    /** QEMU's own limits (QCOW_MAX_SNAPSHOTS, QCOW_MAX_SNAPSHOT_EXTRA_DATA). */
    static final int MAX_SNAPSHOTS = 65536, MAX_EXTRA_DATA = 1024;

    static final int FIXED_ENTRY = 40;

    public Qcow2Header {
        snapshots = List.copyOf(snapshots);
    }

    /** Sum of the snapshots' VM state sizes (memory saved inside the image). */
    public long vmStateBytes() {
        return snapshots.stream().mapToLong(Qcow2Snapshot::vmStateSize).sum();
    }

    /** The snapshot named {@code name}, or null. */
    public Qcow2Snapshot snapshot(String name) {
        for (Qcow2Snapshot s : snapshots) if (s.name().equals(name)) return s;
        return null;
    }

    /**
     * Reads {@code image} read-only without locking it (a running VM may hold it). A table that does
     * not parse is read once more (QEMU may have been rewriting it); a second failure is thrown.
     */
    public static Qcow2Header read(Path image) throws IOException {
        Objects.requireNonNull(image, "image");
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            try {
                return parse(ch, image);
            } catch (Qcow2Exception first) {
                try {
                    return parse(ch, image);
                } catch (Qcow2Exception second) {
                    second.addSuppressed(first);
                    throw second;
                }
            }
        }
    }

    static Qcow2Header parse(FileChannel ch, Path image) throws IOException {
        long fileSize = ch.size();
        ByteBuffer h = readAt(ch, 0, 72, image, "header");
        if (h.getInt(0) != MAGIC)
            throw new Qcow2Exception(image + " is not a qcow2 image (magic " + Integer.toHexString(h.getInt(0)) + ")");
        int version = h.getInt(4);
        if (version != 2 && version != 3)
            throw new Qcow2Exception(image + ": qcow2 version " + version + " is not 2 or 3");
        long backingOffset = h.getLong(8);
        int backingSize = h.getInt(16);
        int clusterBits = h.getInt(20);
        if (clusterBits < 9 || clusterBits > 21)
            throw new Qcow2Exception(image + ": cluster_bits " + clusterBits + " is outside 9..21");
        long virtualSize = h.getLong(24);
        int count = h.getInt(60);
        long tableOffset = h.getLong(64);
        if (count < 0 || count > MAX_SNAPSHOTS)
            throw new Qcow2Exception(
                    image + ": nb_snapshots " + Integer.toUnsignedString(count) + " exceeds " + MAX_SNAPSHOTS);
        String backing = null;
        if (backingOffset != 0) {
            if (backingSize <= 0 || backingSize > 1023)
                throw new Qcow2Exception(image + ": backing_file_size " + backingSize + " is outside 1..1023");
            backing = StandardCharsets.UTF_8
                    .decode(readAt(ch, backingOffset, backingSize, image, "backing file name"))
                    .toString();
        }
        List<Qcow2Snapshot> list = new ArrayList<>(count);
        long pos = tableOffset;
        if (count > 0 && (tableOffset <= 0 || tableOffset % 8 != 0 || tableOffset >= fileSize))
            throw new Qcow2Exception(
                    image + ": snapshots_offset " + tableOffset + " is not an aligned offset inside the file");
        for (int i = 0; i < count; i++) {
            ByteBuffer e = readAt(ch, pos, FIXED_ENTRY, image, "snapshot entry " + i);
            int l1Size = e.getInt(8);
            int idSize = Short.toUnsignedInt(e.getShort(12));
            int nameSize = Short.toUnsignedInt(e.getShort(14));
            long dateSec = Integer.toUnsignedLong(e.getInt(16));
            long dateNsec = Integer.toUnsignedLong(e.getInt(20));
            long vmClockNs = e.getLong(24);
            long vmState = Integer.toUnsignedLong(e.getInt(32));
            int extraSize = e.getInt(36);
            if (extraSize < 0 || extraSize > MAX_EXTRA_DATA)
                throw new Qcow2Exception(image + ": snapshot entry " + i + " extra_data_size " + extraSize + " exceeds "
                        + MAX_EXTRA_DATA);
            int varSize = extraSize + idSize + nameSize;
            ByteBuffer v = readAt(ch, pos + FIXED_ENTRY, varSize, image, "snapshot entry " + i);
            long diskSize = -1;
            if (extraSize >= 8) vmState = v.getLong(0);
            if (extraSize >= 16) diskSize = v.getLong(8);
            if (vmState < 0)
                throw new Qcow2Exception(image + ": snapshot entry " + i + " has a negative VM state size");
            String id = string(v, extraSize, idSize);
            String name = string(v, extraSize + idSize, nameSize);
            list.add(new Qcow2Snapshot(
                    id,
                    name,
                    Instant.ofEpochSecond(dateSec, dateNsec),
                    Duration.ofNanos(vmClockNs),
                    vmState,
                    diskSize,
                    l1Size));
            long size = FIXED_ENTRY + varSize;
            pos += (size + 7) & ~7L;
        }
        return new Qcow2Header(version, 1 << clusterBits, virtualSize, backing, list);
    }

    private static String string(ByteBuffer b, int offset, int length) {
        byte[] out = new byte[length];
        b.get(offset, out);
        return new String(out, StandardCharsets.UTF_8);
    }

    private static ByteBuffer readAt(FileChannel ch, long offset, int length, Path image, String what)
            throws IOException {
        if (offset < 0 || offset + length > ch.size())
            throw new Qcow2Exception(
                    image + ": " + what + " (" + length + " bytes at " + offset + ") lies past the end of the file");
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (ch.read(b, offset + b.position()) < 0)
                throw new Qcow2Exception(image + ": end of file while reading " + what);
        }
        return b.flip();
    }
}
