package dev.stillpoint.repository;

import static dev.stillpoint.repository.TestImages.CHUNK;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RoundTripTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void randomImagesRoundTripBitExact(boolean encrypted) throws Exception {
        Path dir = tmp.resolve("repo");
        int[] sizes = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 7 * CHUNK + 12345, 1_000_003};
        try (Repository repo = Repositories.init(dir, TestImages.options(encrypted))) {
            for (int i = 0; i < sizes.length; i++) {
                byte[] img = TestImages.image(i, sizes[i]);
                SnapshotInfo s = TestImages.backup(repo, "vm/disk" + i, img);
                assertThat(s.size()).isEqualTo(sizes[i]);
                assertThat(TestImages.restore(repo, s.id(), tmp.resolve("r" + i)))
                        .as("size %d", sizes[i])
                        .isEqualTo(img);
                assertThat(TestImages.readAll(repo, s.id())).isEqualTo(img);
            }
        }
        // reopen: everything still readable
        try (Repository repo = Repositories.open(dir, "repo-secret".toCharArray())) {
            assertThat(repo.snapshots()).hasSize(sizes.length);
            for (SnapshotInfo s : repo.snapshots()) {
                int i = Integer.parseInt(s.name().substring(7));
                assertThat(TestImages.readAll(repo, s.id())).isEqualTo(TestImages.image(i, sizes[i]));
                assertThat(s.tags()).containsEntry("t", "1");
            }
        }
    }

    /** Format-2 ids (SHA-256, HMAC-SHA256) in a version-3 repository: the same round trip, check and dedup. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void sha256IdsRoundTripToo(boolean encrypted) throws Exception {
        Path dir = tmp.resolve("repo");
        try (Repository repo =
                Repositories.init(dir, TestImages.options(encrypted).withIdHash(RepositoryOptions.IdHash.SHA256))) {
            byte[] img = TestImages.image(3, 7 * CHUNK + 12345);
            SnapshotInfo a = TestImages.backup(repo, "vm/a", img);
            long stored = repo.stats().storedBytes();
            SnapshotInfo b = TestImages.backup(repo, "vm/b", img);
            assertThat(repo.stats().storedBytes()).isEqualTo(stored);
            assertThat(TestImages.readAll(repo, b.id())).isEqualTo(img);
            assertThat(repo.check(100, ProgressListener.NONE).errors()).isEmpty();
            assertThat(a.id()).isNotEqualTo(b.id());
        }
        assertThat(Files.readString(dir.resolve("config"))).contains("\"idHash\" : \"sha256\"");
        try (Repository repo = Repositories.open(dir, encrypted ? "repo-secret".toCharArray() : null)) {
            assertThat(TestImages.readAll(repo, repo.snapshots().get(0).id()))
                    .isEqualTo(TestImages.image(3, 7 * CHUNK + 12345));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void allZeroImageStoresNothingAndRestoresSparse(boolean encrypted) throws Exception {
        try (Repository repo = Repositories.init(tmp.resolve("repo"), TestImages.options(encrypted))) {
            byte[] img = new byte[10 * CHUNK + 5];
            SnapshotInfo s = TestImages.backup(repo, "zero", img);
            assertThat(s.storedBytes()).isZero();
            assertThat(s.allocatedBytes()).isZero();
            Path out = tmp.resolve("out");
            assertThat(TestImages.restore(repo, s.id(), out)).isEqualTo(img);
            try (ImageReader r = repo.openImage(s.id())) {
                assertThat(r.allocated()).isEmpty();
            }
            long blocks = (Long) Files.getAttribute(out, "unix:size") > 0 ? sparseBlocks(out) : 0;
            assertThat(blocks).as("restored all-zero image must stay sparse").isLessThan(img.length / 4);
        }
    }

    static long sparseBlocks(Path p) throws Exception {
        Process pr = new ProcessBuilder("stat", "-c", "%b*%B", p.toString()).start();
        String[] s = new String(pr.getInputStream().readAllBytes()).trim().split("\\*");
        pr.waitFor();
        return Long.parseLong(s[0]) * Long.parseLong(s[1]);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void identicalImagesDeduplicate(boolean encrypted) throws Exception {
        try (Repository repo = Repositories.init(tmp.resolve("repo"), TestImages.options(encrypted))) {
            byte[] img = TestImages.image(42, 20 * CHUNK + 333);
            SnapshotInfo a = TestImages.backup(repo, "a", img, 1);
            SnapshotInfo b = TestImages.backup(repo, "b", img, 2);
            assertThat(a.storedBytes()).isPositive();
            assertThat(b.storedBytes()).isZero();
            assertThat(TestImages.readAll(repo, b.id())).isEqualTo(img);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void parentBasedIngestRecordsFullImage(boolean encrypted) throws Exception {
        try (Repository repo = Repositories.init(tmp.resolve("repo"), TestImages.options(encrypted))) {
            byte[] base = TestImages.image(5, 16 * CHUNK + 999);
            SnapshotInfo s1 = TestImages.backup(repo, "vm/vda", base);
            byte[] expected = base.clone();
            try (ImageWriter w = repo.newImage("vm/vda", base.length, s1.id(), Map.of(), ProgressListener.NONE)) {
                // unaligned extents inside chunks, spanning chunk borders, a hole, and the tail
                long[][] extents = {
                    {100, 50},
                    {CHUNK - 10, 30},
                    {3L * CHUNK + 7, 2L * CHUNK},
                    {10L * CHUNK + 1, 5},
                    {base.length - 7, 7}
                };
                for (long[] e : extents) {
                    if (e[0] == 10L * CHUNK + 1) {
                        w.writeZeroes(e[0], 2L * CHUNK);
                        Arrays.fill(expected, (int) e[0], (int) (e[0] + 2L * CHUNK), (byte) 0);
                        continue;
                    }
                    byte[] d = TestImages.image(e[0], (int) e[1]);
                    Arrays.fill(d, (byte) 0x5a);
                    w.write(e[0], ByteBuffer.wrap(d));
                    System.arraycopy(d, 0, expected, (int) e[0], d.length);
                }
                SnapshotInfo s2 = w.commit();
                assertThat(s2.parent()).isEqualTo(s1.id());
                assertThat(TestImages.restore(repo, s2.id(), tmp.resolve("r2"))).isEqualTo(expected);
                assertThat(s2.storedBytes()).as("only changed chunks stored").isLessThan(s1.storedBytes() / 2);
            }
            assertThat(TestImages.readAll(repo, s1.id())).isEqualTo(base);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, CHUNK, 5 * CHUNK + 77, 40 * CHUNK + 3})
    void streamOfUnknownSizeRoundTrips(int size) throws Exception {
        try (Repository repo = Repositories.init(tmp.resolve("repo"), TestImages.options(true))) {
            byte[] img = TestImages.image(size, size);
            SnapshotInfo s;
            try (ImageWriter w =
                    repo.newImage("stdin", Repository.UNKNOWN_SIZE, null, Map.of(), ProgressListener.NONE)) {
                int pos = 0;
                while (pos < size) {
                    int n = Math.min(size - pos, 10_000);
                    boolean zero = true;
                    for (int i = pos; i < pos + n && zero; i++) zero = img[i] == 0;
                    if (zero && pos + n < size) {
                        pos += n;
                        continue;
                    } // skipped range = hole
                    w.write(pos, ByteBuffer.wrap(img, pos, n));
                    pos += n;
                }
                s = w.commit();
            }
            assertThat(s.size()).isEqualTo(size);
            assertThat(TestImages.restore(repo, s.id(), tmp.resolve("out"))).isEqualTo(img);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {3 * CHUNK + 5, 5 * CHUNK + 100, 8 * CHUNK + 7})
    void parentOfAnotherSizeFillsWhatItHasAndZerosBeyond(int size) throws Exception {
        try (Repository repo = Repositories.init(tmp.resolve("repo"), TestImages.options(false))) {
            byte[] base = TestImages.image(77, 5 * CHUNK + 100);
            java.util.Arrays.fill(base, 0, 100, (byte) 7); // no hole at the start
            java.util.Arrays.fill(base, base.length - 100, base.length, (byte) 9); // nor at the end
            SnapshotInfo p = TestImages.backup(repo, "d", base);
            byte[] expected = java.util.Arrays.copyOf(base, size);
            try (ImageWriter w = repo.newImage("d", size, p.id(), Map.of(), ProgressListener.NONE)) {
                byte[] tail = {1, 2, 3};
                w.write(size - 3, ByteBuffer.wrap(tail));
                System.arraycopy(tail, 0, expected, size - 3, 3);
                SnapshotInfo s = w.commit();
                assertThat(TestImages.restore(repo, s.id(), tmp.resolve("out"))).isEqualTo(expected);
                assertThat(TestImages.readAll(repo, s.id())).isEqualTo(expected);
            }
        }
    }
}
