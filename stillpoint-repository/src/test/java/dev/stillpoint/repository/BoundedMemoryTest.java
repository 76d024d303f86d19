package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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

    @TempDir Path tmp;

    @Test
    void checkStatsAndPruneRunInAHeapSmallerThanAllManifestsTogether() throws Exception {
        Path dir = tmp.resolve("repo");
        try (Repository repo = Repositories.init(dir, TestImages.options(false))) {
            for (int k = 0; k < SNAPSHOTS; k++) {
                try (ImageWriter w = repo.newImage("vm" + k + "/vda", DISK, null, Map.of(), ProgressListener.NONE)) {
                    byte[] data = TestImages.image(500 + k, TestImages.CHUNK); // one chunk of data, at a different place each time
                    w.write((long) k * 4096 * TestImages.CHUNK, ByteBuffer.wrap(data));
                    w.writeZeroes((long) k * 4096 * TestImages.CHUNK + TestImages.CHUNK, DISK - ((long) k * 4096 + 1) * TestImages.CHUNK);
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
        String javaCmd = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = List.of(javaCmd, "-Xmx64m", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
                "-cp", cp, ManyLargeSnapshotsChild.class.getName(), repo.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            byte[] all = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("child JVM finished").isTrue();
            String out = new String(all, StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as("child exit; output: %s", out).isZero();
            return out;
        } finally {
            p.destroyForcibly();
        }
    }
}
