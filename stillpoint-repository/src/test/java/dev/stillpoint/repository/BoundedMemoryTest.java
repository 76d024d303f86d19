package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * check, stats and prune hold one manifest at a time: 12 snapshots of a 16 GiB disk in 64 KiB
 * chunks are 12 manifests of 8 MiB (32 bytes per chunk, holes included), 96 MiB together, and
 * the child JVM that runs them has a 64 MiB heap.
 */
class BoundedMemoryTest {
    private static final long DISK = 16L << 30;
    private static final int SNAPSHOTS = 12;

    @TempDir
    Path tmp;

    @Test
    void checkStatsAndPruneRunInAHeapSmallerThanAllManifestsTogether() throws Exception {
        Path dir = tmp.resolve("repo");
        try (Repository repo = Repositories.init(dir, TestImages.options(false))) {
            for (int k = 0; k < SNAPSHOTS; k++) {
                try (ImageWriter w = repo.newImage("vm" + k + "/vda", DISK, null, Map.of(), ProgressListener.NONE)) {
                    byte[] data = TestImages.image(
                            500 + k, TestImages.CHUNK); // one chunk of data, at a different place each time
                    w.write((long) k * 4096 * TestImages.CHUNK, ByteBuffer.wrap(data));
                    w.writeZeroes(
                            (long) k * 4096 * TestImages.CHUNK + TestImages.CHUNK,
                            DISK - ((long) k * 4096 + 1) * TestImages.CHUNK);
                    w.commit();
                }
            }
        }
        String out = child(dir);
        assertThat(out).contains("check ok=true snapshots=" + SNAPSHOTS + " errors=[]");
        assertThat(out).contains("stats snapshots=" + SNAPSHOTS);
        assertThat(out).contains("prune deleted=0");
    }

    private static String child(Path repo) throws Exception {
        return ChildJvm.run(
                120,
                List.of("-Xmx64m", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED"),
                ManyLargeSnapshotsChild.class,
                repo.toString());
    }
}
