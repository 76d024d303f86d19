package dev.stillpoint.engine.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.testkit.HostPrograms;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PartitionTable} against tables written by {@code sfdisk}, intact and damaged. */
class PartitionTableIT {
    private static final long MIB = 1 << 20;

    @TempDir
    Path tmp;

    @BeforeAll
    static void programs() {
        HostPrograms.require("sfdisk", "truncate", "mkfs.fat");
    }

    private Path disk(String name, String sfdiskScript) throws Exception {
        Path d = tmp.resolve(name);
        HostPrograms.run("truncate", "-s", "64M", d.toString());
        HostPrograms.run("sh", "-c", "printf '" + sfdiskScript + "' | sfdisk -q " + d);
        return d;
    }

    private static PartitionTable.Table read(Path d) throws Exception {
        try (FileChannel ch = FileChannel.open(d)) {
            return PartitionTable.read(
                    (offset, length) -> {
                        ByteBuffer b = ByteBuffer.allocate(length);
                        ch.read(b, offset);
                        return b.flip();
                    },
                    ch.size());
        }
    }

    private static void scribble(Path d, long offset) throws Exception {
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {9, 9, 9, 9}), offset < 0 ? ch.size() + offset : offset);
        }
    }

    @Test
    void gptPartitionsComeWithTheirNumbersOffsetsAndSizes() throws Exception {
        Path d = disk("gpt", "label: gpt\\nstart=2048, size=20M\\nstart=43008, size=8M\\n");
        PartitionTable.Table t = read(d);
        assertThat(t.kind()).isEqualTo("gpt");
        assertThat(t.partitions())
                .containsExactly(
                        new PartitionTable.Partition(1, MIB, 20 * MIB),
                        new PartitionTable.Partition(2, 43008L * 512, 8 * MIB));
    }

    @Test
    void aDamagedPrimaryGptFallsBackToTheBackupAndBothDamagedIsNamed() throws Exception {
        Path d = disk("gpt", "label: gpt\\nstart=2048, size=20M\\n");
        scribble(d, 512 + 16); // primary header CRC
        assertThat(read(d).partitions()).containsExactly(new PartitionTable.Partition(1, MIB, 20 * MIB));
        scribble(d, -512 + 16); // backup header CRC
        assertThatThrownBy(() -> read(d))
                .isInstanceOf(PartitionTable.DamagedException.class)
                .hasMessage("GPT damaged (header CRC mismatch; backup GPT: header CRC mismatch)");
    }

    @Test
    void aDamagedGptEntryTableIsCaughtByItsCrc() throws Exception {
        Path d = disk("gpt", "label: gpt\\nstart=2048, size=20M\\n");
        scribble(d, 1024 + 32); // partition 1's first LBA in the primary entries
        scribble(d, -33 * 512 + 32); // and in the backup entries
        assertThatThrownBy(() -> read(d))
                .isInstanceOf(PartitionTable.DamagedException.class)
                .hasMessageContaining("entry table CRC mismatch");
    }

    @Test
    void mbrPrimaryAndLogicalPartitions() throws Exception {
        Path d = disk(
                "mbr",
                "label: dos\\nstart=2048, size=10M, type=83\\nstart=22528, size=40M, type=5\\n"
                        + "start=24576, size=10M, type=83\\nstart=47104, size=10M, type=83\\n");
        PartitionTable.Table t = read(d);
        assertThat(t.kind()).isEqualTo("mbr");
        assertThat(t.partitions())
                .extracting(PartitionTable.Partition::number, PartitionTable.Partition::offset)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1, MIB),
                        org.assertj.core.groups.Tuple.tuple(5, 24576L * 512),
                        org.assertj.core.groups.Tuple.tuple(6, 47104L * 512));
    }

    @Test
    void anMbrEntryBeyondTheDiskIsDamageAndNoSignatureIsNoTable() throws Exception {
        Path d = disk("mbr", "label: dos\\nstart=2048, size=10M, type=83\\n");
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f}), 446 + 12);
        }
        assertThatThrownBy(() -> read(d))
                .isInstanceOf(PartitionTable.DamagedException.class)
                .hasMessageContaining("MBR partition 1 spans sectors 2048+");
        Path blank = tmp.resolve("blank");
        HostPrograms.run("truncate", "-s", "8M", blank.toString());
        assertThat(read(blank)).isEqualTo(new PartitionTable.Table("none", java.util.List.of()));
    }

    @Test
    void aWholeDiskFatIsNoPartitionTableThoughItsBootSectorEndsIn55Aa() throws Exception {
        for (String fat : new String[] {"16", "32"}) {
            Path d = tmp.resolve("fat" + fat);
            HostPrograms.run("truncate", "-s", "64M", d.toString());
            HostPrograms.run("mkfs.fat", "-F", fat, d.toString());
            assertThat(read(d)).as("FAT" + fat).isEqualTo(new PartitionTable.Table("none", java.util.List.of()));
        }
    }
}
