package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prune's marks: one bit per indexed chunk, a chunk stored twice counted once, missing packs never trusted. */
class PruneTest {
    private static final char[] PW = "repo-secret".toCharArray();

    @TempDir Path tmp;

    private static ChunkId id(int n) {
        byte[] b = new byte[32];
        new Random(n).nextBytes(b);
        return new ChunkId(b);
    }

    @Test
    void marksCountAChunkStoredTwiceOnceAtTheCopyTheIndexServes() {
        ChunkIndex idx = new ChunkIndex();
        idx.add("a".repeat(64), 1000, List.of(new PackEntry(id(1), 0, 10, 10), new PackEntry(id(2), 10, 10, 10)));
        idx.add("b".repeat(64), 1000, List.of(new PackEntry(id(2), 0, 10, 10), new PackEntry(id(3), 10, 10, 10)));
        ChunkIndex.PackInfo a = idx.packs().get("a".repeat(64)), b = idx.packs().get("b".repeat(64));
        ChunkIndex.Marks m = idx.marks();
        assertThat(m.mark(id(2))).isEqualTo(1);
        assertThat(m.mark(id(2))).isZero();
        assertThat(m.mark(id(9))).isEqualTo(-1);
        assertThat(m.marked(a, 1)).isTrue();
        assertThat(m.marked(b, 0)).isFalse(); // the second copy
        assertThat(m.marked(a)).isEqualTo(1);
        assertThat(m.marked(b)).isZero();
        assertThat(m.mark(id(3))).isEqualTo(1);
        assertThat(m.marked(b)).isEqualTo(1);
        assertThat(m.count()).isEqualTo(2);
    }

    @Test
    void whenThePackTheIndexServesAChunkFromIsMissingPruneKeepsTheOtherCopy() throws Exception {
        Path dir = tmp.resolve("repo");
        byte[] img = new byte[6 * TestImages.CHUNK];
        new Random(7).nextBytes(img);
        SnapshotInfo s;
        try (Repository repo = Repositories.init(dir, TestImages.options(true))) { // random nonces: the second copies are other packs
            s = TestImages.backup(repo, "a", img);
        }
        // a second copy of every chunk: hide the first packs' index, back up again, index them again
        List<Path> first;
        try (var st = Files.list(dir.resolve("index"))) { first = st.toList(); }
        for (Path p : first) Files.move(p, tmp.resolve(p.getFileName()));
        try (Repository repo = Repositories.open(dir, PW)) {
            TestImages.backup(repo, "b", img);
        }
        for (Path p : first) Files.move(tmp.resolve(p.getFileName()), p);
        ChunkId c;
        String served;
        try (FileRepository fr = FileRepository.open(dir, PW)) {
            c = fr.loadManifest(s.id()).chunk(0);
            served = fr.index().get(c).packId();
            ChunkId chunk = c;
            assertThat(fr.index().packs().values().stream().filter(p -> p.entries().stream().anyMatch(e -> e.id().equals(chunk))))
                    .as("two packs hold chunk 0").hasSize(2);
        }
        Files.delete(dir.resolve("data").resolve(served.substring(0, 2)).resolve(served)); // the copy the index serves is lost
        try (FileRepository fr = FileRepository.open(dir, PW)) {
            fr.prune(ProgressListener.NONE);
        }
        try (FileRepository fr = FileRepository.open(dir, PW)) {
            boolean held = false;
            for (ChunkIndex.PackInfo p : fr.index().packs().values()) {
                if (p.entries().stream().anyMatch(e -> e.id().equals(c)) && Files.exists(fr.packPath(p.packId()))) held = true;
            }
            assertThat(held).as("a pack on disk still holds chunk 0").isTrue();
        }
    }
}
