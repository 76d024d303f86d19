package dev.stillpoint.qemu.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hand-built headers and snapshot tables, laid out as in package-info. */
class Qcow2HeaderTest {
    @TempDir
    Path dir;

    /** A v3 header at 0, backing name at 512, snapshot table at 4096 with the given entries. */
    private Path image(String backing, byte[]... entries) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(65536);
        b.putInt(0, Qcow2Header.MAGIC).putInt(4, 3);
        if (backing != null) {
            byte[] name = backing.getBytes(StandardCharsets.UTF_8);
            b.putLong(8, 512).putInt(16, name.length).put(512, name);
        }
        b.putInt(20, 16).putLong(24, 1L << 30).putInt(60, entries.length).putLong(64, 4096);
        int pos = 4096;
        for (byte[] e : entries) {
            b.put(pos, e);
            pos += (e.length + 7) & ~7;
        }
        Path p = dir.resolve("img.qcow2");
        Files.write(p, b.array());
        return p;
    }

    private static byte[] entry(String id, String name, long vmState32, byte[] extra) {
        byte[] i = id.getBytes(StandardCharsets.UTF_8), n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer e = ByteBuffer.allocate(40 + extra.length + i.length + n.length);
        e.putLong(0, 0x50000).putInt(8, 16).putShort(12, (short) i.length).putShort(14, (short) n.length);
        e.putInt(16, 1_700_000_000).putInt(20, 5).putLong(24, 3_000_000_000L);
        e.putInt(32, (int) vmState32).putInt(36, extra.length);
        e.put(40, extra).put(40 + extra.length, i).put(40 + extra.length + i.length, n);
        return e.array();
    }

    private static byte[] extra(long vmStateLarge, long diskSize) {
        return ByteBuffer.allocate(24)
                .putLong(0, vmStateLarge)
                .putLong(8, diskSize)
                .array();
    }

    @Test
    void readsEntriesWithAndWithoutExtraData() throws IOException {
        Path p = image(
                "base.qcow2",
                entry("1", "before-upgrade", 145L << 20, new byte[0]),
                entry("2", "disk-only", 0, extra(0, 1L << 30)),
                entry("3", "big", 0, extra(6L << 30, 1L << 30)));
        Qcow2Header h = Qcow2Header.read(p);
        assertThat(h.version()).isEqualTo(3);
        assertThat(h.clusterSize()).isEqualTo(65536);
        assertThat(h.virtualSize()).isEqualTo(1L << 30);
        assertThat(h.backingFile()).isEqualTo("base.qcow2");
        assertThat(h.snapshots()).extracting(Qcow2Snapshot::name).containsExactly("before-upgrade", "disk-only", "big");
        Qcow2Snapshot first = h.snapshot("before-upgrade");
        assertThat(first.id()).isEqualTo("1");
        assertThat(first.vmStateSize()).isEqualTo(145L << 20);
        assertThat(first.diskSize()).isEqualTo(-1);
        assertThat(first.date()).isEqualTo(Instant.ofEpochSecond(1_700_000_000, 5));
        assertThat(first.vmClock()).isEqualTo(Duration.ofSeconds(3));
        assertThat(h.snapshot("disk-only").vmStateSize()).isZero();
        assertThat(h.snapshot("disk-only").diskSize()).isEqualTo(1L << 30);
        // the 64-bit size in extra data wins over the 32-bit field
        assertThat(h.snapshot("big").vmStateSize()).isEqualTo(6L << 30);
        assertThat(h.vmStateBytes()).isEqualTo((145L << 20) + (6L << 30));
        assertThat(h.snapshot("absent")).isNull();
    }

    @Test
    void noSnapshotsNoBacking() throws IOException {
        Qcow2Header h = Qcow2Header.read(image(null));
        assertThat(h.snapshots()).isEmpty();
        assertThat(h.backingFile()).isNull();
        assertThat(h.vmStateBytes()).isZero();
    }

    @Test
    void rejectsWhatIsNotQcow2() throws IOException {
        Path raw = dir.resolve("raw.img");
        Files.write(raw, new byte[4096]);
        assertThatThrownBy(() -> Qcow2Header.read(raw))
                .isInstanceOf(Qcow2Exception.class)
                .hasMessageContaining("not a qcow2 image");
    }

    @Test
    void rejectsATableThatRunsPastTheEnd() throws IOException {
        Path p = image(null, entry("1", "s", 0, new byte[0]));
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p));
        b.putInt(60, 5000); // 5000 entries do not fit in 64 KiB
        Files.write(p, b.array());
        assertThatThrownBy(() -> Qcow2Header.read(p))
                .isInstanceOf(Qcow2Exception.class)
                .hasMessageContaining("past the end");
    }

    @Test
    void rejectsOversizedExtraData() throws IOException {
        byte[] e = entry("1", "s", 0, new byte[0]);
        ByteBuffer.wrap(e).putInt(36, 4096);
        Path p = image(null, e);
        assertThatThrownBy(() -> Qcow2Header.read(p)).hasMessageContaining("extra_data_size 4096");
    }
}
