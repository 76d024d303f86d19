package dev.stillpoint.engine.files;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.testkit.HostPrograms;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link FilesystemProbe} gives blkid's answer for images made by the real mkfs tools, and defers to blkid otherwise. */
class FilesystemProbeIT {
    @TempDir
    Path tmp;

    @BeforeAll
    static void programs() {
        HostPrograms.require("truncate", "blkid", "mkfs.ext4", "mkfs.xfs", "mkfs.btrfs", "mkfs.fat", "mkswap");
    }

    private Path image(String name, int mib) throws Exception {
        Path f = tmp.resolve(name);
        HostPrograms.run("truncate", "-s", mib + "M", f.toString());
        return f;
    }

    private static Map<String, String> probe(Path f, long offset) throws Exception {
        try (FileChannel ch = FileChannel.open(f)) {
            return FilesystemProbe.probe(
                    (at, length) -> {
                        ByteBuffer b = ByteBuffer.allocate(length);
                        ch.read(b, at);
                        return b.flip();
                    },
                    offset,
                    ch.size() - offset);
        }
    }

    /** TYPE, USAGE, UUID and LABEL as {@code blkid -p -o export} gives them. */
    private static Map<String, String> blkid(Path f) throws Exception {
        Map<String, String> out = new HashMap<>();
        for (String line :
                HostPrograms.run("blkid", "-p", "-o", "export", f.toString()).split("\n")) {
            int eq = line.indexOf('=');
            String key = eq > 0 ? line.substring(0, eq) : "";
            if (key.equals("TYPE") || key.equals("USAGE") || key.equals("UUID") || key.equals("LABEL"))
                out.put(key, line.substring(eq + 1));
        }
        return out;
    }

    @Test
    void extFamilyXfsAndBtrfsAsBlkidSeesThem() throws Exception {
        Path ext2 = image("ext2", 16), ext3 = image("ext3", 16), ext4 = image("ext4", 16);
        HostPrograms.run("mkfs.ext4", "-q", "-F", "-t", "ext2", "-L", "boot", ext2.toString());
        HostPrograms.run("mkfs.ext4", "-q", "-F", "-t", "ext3", ext3.toString());
        HostPrograms.run("mkfs.ext4", "-q", "-F", "-L", "rootfs", ext4.toString());
        Path xfs = image("xfs", 320), btrfs = image("btrfs", 128);
        HostPrograms.run("mkfs.xfs", "-q", "-f", "-L", "var", xfs.toString());
        HostPrograms.run("mkfs.btrfs", "-q", "-f", "-L", "srv-data", btrfs.toString());
        for (Path f : new Path[] {ext2, ext3, ext4, xfs, btrfs}) {
            assertThat(probe(f, 0)).as(f.getFileName().toString()).isEqualTo(blkid(f));
        }
        assertThat(probe(ext4, 0)).containsEntry("TYPE", "ext4").containsEntry("LABEL", "rootfs");
        assertThat(probe(ext2, 0)).containsEntry("TYPE", "ext2");
        assertThat(probe(ext3, 0)).containsEntry("TYPE", "ext3").doesNotContainKey("LABEL");
    }

    @Test
    void aFilesystemAtAnOffsetInsideADisk() throws Exception {
        Path part = image("part", 16);
        HostPrograms.run("mkfs.ext4", "-q", "-F", "-L", "inner", part.toString());
        Path disk = tmp.resolve("disk");
        try (FileChannel out = FileChannel.open(
                disk, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            out.write(ByteBuffer.wrap(Files.readAllBytes(part)), 1 << 20);
        }
        assertThat(probe(disk, 1 << 20)).isEqualTo(blkid(part));
        assertThat(probe(disk, 0))
                .as("nothing at the start of the disk: blkid decides")
                .isNull();
    }

    @Test
    void swapIsRecognisedAndOtherKindsAreLeftToBlkid() throws Exception {
        Path swap = image("swap", 16), fat = image("fat", 16);
        HostPrograms.run("mkswap", "-q", swap.toString());
        HostPrograms.run("mkfs.fat", fat.toString());
        assertThat(probe(swap, 0)).containsEntry("TYPE", "swap").containsEntry("USAGE", "other");
        assertThat(probe(fat, 0)).as("vfat: blkid decides").isNull();
        assertThat(probe(image("empty", 16), 0)).isNull();
    }

    @Test
    void twoSignaturesAreLeftToBlkid() throws Exception {
        Path f = image("both", 16);
        HostPrograms.run("mkfs.ext4", "-q", "-F", f.toString());
        try (FileChannel ch = FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("XFSB".getBytes(java.nio.charset.StandardCharsets.US_ASCII)), 0);
        }
        assertThat(probe(f, 0)).isNull();
    }

    @Test
    void lvmAndLuksHeadersAreNamedSoTheyAreNotMounted() throws Exception {
        Path pv = image("pv", 4), luks = image("luks", 4);
        try (FileChannel ch = FileChannel.open(pv, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("LABELONE".getBytes(java.nio.charset.StandardCharsets.US_ASCII)), 512);
            ch.write(ByteBuffer.wrap("LVM2 001".getBytes(java.nio.charset.StandardCharsets.US_ASCII)), 512 + 0x18);
        }
        try (FileChannel ch = FileChannel.open(luks, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe, 0, 2}), 0);
        }
        assertThat(probe(pv, 0)).containsEntry("TYPE", "LVM2_member").containsEntry("USAGE", "raid");
        assertThat(probe(luks, 0)).containsEntry("TYPE", "crypto_LUKS").containsEntry("USAGE", "crypto");
    }
}
