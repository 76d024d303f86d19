package dev.stillpoint.engine.restore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.DiskRecord;
import dev.stillpoint.engine.fakes.InMemoryRepository;
import dev.stillpoint.repository.ImageWriter;
import dev.stillpoint.repository.ProgressListener;
import dev.stillpoint.repository.SnapshotInfo;
import dev.stillpoint.testkit.HostPrograms;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Restores to qcow2 through the real qemu-img and checks content and thinness with qemu-img. */
class RestoreJobIT {
    @TempDir
    Path tmp;

    static final long SIZE = 256L << 20;
    static final byte[] CHUNK = new byte[1 << 20];

    static {
        Arrays.fill(CHUNK, (byte) 0x5a);
    }

    private static BackupRecord backupOf(InMemoryRepository repo) throws Exception {
        SnapshotInfo info;
        try (ImageWriter w = repo.newImage("vm/vda", SIZE, null, Map.of(), ProgressListener.NONE)) {
            w.write(3L << 20, ByteBuffer.wrap(CHUNK));
            w.write(200L << 20, ByteBuffer.wrap(CHUNK));
            info = w.commit();
        }
        return BackupRecord.builder("abcd000000000001", "vm", Instant.EPOCH)
                .vmUuid("u")
                .finishedAt(Instant.EPOCH)
                .status(BackupRecord.Status.COMPLETE)
                .mode(BackupRecord.Mode.FULL)
                .consistency(dev.stillpoint.engine.catalog.Consistency.CRASH)
                .bytes(0, 0, SIZE)
                .disks(List.of(new DiskRecord("vda", "/x.qcow2", "qcow2", SIZE, info.id(), null, 0, 0)))
                .build();
    }

    @Test
    void restoresThinQcow2WithTheSameContent() throws Exception {
        HostPrograms.require("qemu-img");
        InMemoryRepository repo = new InMemoryRepository();
        List<RestoredDisk> out = RestoreJob.create(
                        repo, backupOf(repo), tmp.resolve("to"), null, RestoreFormat.QCOW2, null)
                .run();
        checkThinQcow2(out);
    }

    /** qemu-img's "-T none" (O_DIRECT reads of the temp file) refused, as on a filesystem without O_DIRECT: converted again without it. */
    @Test
    void aRefusedDirectReadIsRetriedWithTheDefaultCacheMode() throws Exception {
        HostPrograms.require("qemu-img");
        Path calls = tmp.resolve("calls.log");
        Path fake = tmp.resolve("qemu-img");
        Files.writeString(
                fake,
                "#!/bin/sh\necho \"$*\" >> " + calls + "\n"
                        + "case \" $* \" in *' -T none '*) echo 'Could not open: Invalid argument' >&2; exit 1 ;; esac\n"
                        + "exec qemu-img \"$@\"\n");
        fake.toFile().setExecutable(true);
        InMemoryRepository repo = new InMemoryRepository();
        List<RestoredDisk> out = RestoreJob.create(
                        repo, backupOf(repo), tmp.resolve("to"), RestoreFormat.QCOW2, fake.toString())
                .run();
        assertThat(Files.readAllLines(calls)).hasSize(2).first().asString().contains("-T none");
        checkThinQcow2(out);
    }

    private void checkThinQcow2(List<RestoredDisk> out) throws Exception {
        long size = SIZE;
        byte[] chunk = CHUNK;

        Path qcow2 = out.getFirst().file();
        assertThat(qcow2).isEqualTo(tmp.resolve("to/vm-vda.qcow2"));
        Files.deleteIfExists(tmp.resolve("expected.raw"));
        try (var s = Files.list(tmp.resolve("to"))) {
            assertThat(s.toList()).as("temp raw removed").containsExactly(qcow2);
        }
        String infoJson = HostPrograms.run("qemu-img", "info", "--output=json", qcow2.toString());
        assertThat(infoJson).contains("\"format\": \"qcow2\"").contains("\"virtual-size\": " + size);
        Path expected = tmp.resolve("expected.raw");
        try (var ch = java.nio.channels.FileChannel.open(
                expected, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
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
