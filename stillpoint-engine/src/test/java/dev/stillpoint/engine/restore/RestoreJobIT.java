package dev.stillpoint.engine.restore;

import dev.stillpoint.testkit.HostPrograms;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.DiskRecord;
import dev.stillpoint.engine.fakes.InMemoryRepository;
import dev.stillpoint.repository.ImageWriter;
import dev.stillpoint.repository.ProgressListener;
import dev.stillpoint.repository.SnapshotInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Restores to qcow2 through the real qemu-img and checks content and thinness with qemu-img. */
class RestoreJobIT {
    @TempDir Path tmp;

    @Test
    void restoresThinQcow2WithTheSameContent() throws Exception {
        HostPrograms.require("qemu-img");
        long size = 256L << 20;
        byte[] chunk = new byte[1 << 20];
        Arrays.fill(chunk, (byte) 0x5a);
        InMemoryRepository repo = new InMemoryRepository();
        SnapshotInfo info;
        try (ImageWriter w = repo.newImage("vm/vda", size, null, Map.of(), ProgressListener.NONE)) {
            w.write(3L << 20, ByteBuffer.wrap(chunk));
            w.write(200L << 20, ByteBuffer.wrap(chunk));
            info = w.commit();
        }
        BackupRecord rec = new BackupRecord("abcd000000000001", "vm", "u", Instant.EPOCH, Instant.EPOCH, "complete",
                "full", "crash", null, null, null, null, null, Map.of(), 0, 0, size, null, List.of(),
                List.of(new DiskRecord("vda", "/x.qcow2", "qcow2", size, info.id(), null, 0, 0)));

        List<RestoredDisk> out = RestoreJob.create(repo, rec, tmp.resolve("to"), null, RestoreFormat.QCOW2, null).run();

        Path qcow2 = out.getFirst().file();
        assertThat(qcow2).isEqualTo(tmp.resolve("to/vm-vda.qcow2"));
        try (var s = Files.list(tmp.resolve("to"))) {
            assertThat(s.toList()).as("temp raw removed").containsExactly(qcow2);
        }
        String infoJson = HostPrograms.run("qemu-img", "info", "--output=json", qcow2.toString());
        assertThat(infoJson).contains("\"format\": \"qcow2\"").contains("\"virtual-size\": " + size);
        Path expected = tmp.resolve("expected.raw");
        try (var ch = java.nio.channels.FileChannel.open(expected, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(chunk), 3L << 20);
            ch.write(ByteBuffer.wrap(chunk), 200L << 20);
            ch.truncate(size);
            ch.write(ByteBuffer.allocate(1), size - 1);
        }
        HostPrograms.run("qemu-img", "compare", "-f", "qcow2", "-F", "raw", qcow2.toString(), expected.toString());
        var m = java.util.regex.Pattern.compile("\"actual-size\": (\\d+)").matcher(infoJson);
        assertThat(m.find()).as(infoJson).isTrue();
        long allocated = Long.parseLong(m.group(1));
        assertThat(allocated).as("qcow2 stays thin").isLessThan(16L << 20);
    }
}
