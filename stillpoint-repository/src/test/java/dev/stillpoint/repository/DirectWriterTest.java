package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link DirectWriter}: the file holds exactly what was written, gaps read as zeros and stay holes. */
class DirectWriterTest {
    @TempDir
    Path tmp;

    /** Direct I/O works on the filesystems the tests run on (ext4, xfs, btrfs); tmpfs refuses it. */
    private DirectWriter open(Path f, int alignment) throws Exception {
        DirectWriter w = DirectWriter.open(f, alignment);
        String fs = Files.getFileStore(f).type();
        if (w == null) assertThat(fs).as("O_DIRECT refused on %s", fs).isIn("tmpfs", "overlay", "nfs", "nfs4", "fuse");
        return w;
    }

    @Test
    void sequentialWritesOfOddSizesAcrossBufferBoundariesComeBackExactly() throws Exception {
        Path f = Files.createFile(tmp.resolve("pack"));
        DirectWriter w = open(f, 0);
        if (w == null) return;
        SplittableRandom r = new SplittableRandom(3);
        byte[] want = new byte[3 * DirectWriter.BUFFER + 12345];
        r.nextBytes(want);
        try (w) {
            int pos = 0;
            while (pos < want.length) {
                int n = Math.min(want.length - pos, 1 + r.nextInt(DirectWriter.BUFFER / 3));
                w.write(want, pos, n, pos);
                pos += n;
            }
            w.finish(want.length);
            w.force();
        }
        assertThat(Files.size(f)).isEqualTo(want.length);
        assertThat(Files.readAllBytes(f)).isEqualTo(want);
    }

    @Test
    void gapsAreHolesThatReadAsZerosAndAShortLastChunkIsCutToSize() throws Exception {
        int chunk = 64 << 10;
        Path f = Files.createFile(tmp.resolve("image"));
        DirectWriter w = open(f, chunk);
        if (w == null) return;
        SplittableRandom r = new SplittableRandom(4);
        long size = 200L * chunk + 777;
        byte[] want = new byte[(int) size];
        try (w) {
            for (int c : new int[] {0, 1, 3, 150, 200
            }) { // chunk 1 is short (its rest is a hole), 200 is the partial last one
                int len = c == 1 ? 1000 : (int) Math.min(chunk, size - (long) c * chunk);
                byte[] b = new byte[len];
                r.nextBytes(b);
                System.arraycopy(b, 0, want, c * chunk, len);
                w.write(b, 0, len, (long) c * chunk);
            }
            w.finish(size);
        }
        assertThat(Files.size(f)).isEqualTo(size);
        assertThat(Arrays.equals(Files.readAllBytes(f), want)).isTrue();
        // 5 chunks written out of 201: the gaps were not written
        assertThat(RoundTripTest.sparseBlocks(f)).isLessThan(20L * chunk);
    }

    @Test
    void writesMustGoForwardAndGapsMustBeAligned() throws Exception {
        Path f = Files.createFile(tmp.resolve("x"));
        DirectWriter w = open(f, 4096);
        if (w == null) return;
        try (w) {
            w.write(new byte[100], 0, 100, 0);
            assertThatThrownBy(() -> w.write(new byte[1], 0, 1, 50))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("forward");
            assertThatThrownBy(() -> w.write(new byte[1], 0, 1, 5000))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("block");
        }
    }

    @Test
    void switchedOffByTheProperty() throws Exception {
        Path f = Files.createFile(tmp.resolve("y"));
        String old = System.setProperty(DirectIo.PROPERTY, "false");
        try {
            assertThat(DirectWriter.open(f, 0)).isNull();
        } finally {
            if (old == null) System.clearProperty(DirectIo.PROPERTY);
            else System.setProperty(DirectIo.PROPERTY, old);
        }
    }

    /** The page-cache path (tmpfs, or switched off) still backs up, restores and checks the same bytes. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aRepositoryRoundTripsWithDirectIoSwitchedOff(boolean encrypted) throws Exception {
        String old = System.setProperty(DirectIo.PROPERTY, "false");
        try (Repository repo = Repositories.init(tmp.resolve("repo"), TestImages.options(encrypted))) {
            byte[] img = TestImages.image(31, 9 * TestImages.CHUNK + 777);
            SnapshotInfo s = TestImages.backup(repo, "d", img);
            assertThat(TestImages.restore(repo, s.id(), tmp.resolve("out.raw"))).isEqualTo(img);
            assertThat(repo.check(100, ProgressListener.NONE).ok()).isTrue();
        } finally {
            if (old == null) System.clearProperty(DirectIo.PROPERTY);
            else System.setProperty(DirectIo.PROPERTY, old);
        }
    }
}
