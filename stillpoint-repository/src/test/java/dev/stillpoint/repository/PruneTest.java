package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prune's marks: one bit per indexed chunk, a chunk stored twice counted once, missing packs never trusted. */
class PruneTest {
    private static final char[] PW = "repo-secret".toCharArray();

    @TempDir
    Path tmp;

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
    void whenThePackTheIndexServesAChunkFromIsMissingRestoreReadsAndPruneKeepsTheOtherCopy() throws Exception {
        Path dir = tmp.resolve("repo");
        byte[] img = new byte[6 * TestImages.CHUNK];
        new Random(7).nextBytes(img);
        SnapshotInfo s;
        try (Repository repo =
                Repositories.init(dir, TestImages.options(true))) { // random nonces: the second copies are other packs
            s = TestImages.backup(repo, "a", img);
        }
        // a second copy of every chunk: hide the first packs' index, back up again, index them again
        List<Path> first;
        try (var st = Files.list(dir.resolve("index"))) {
            first = st.toList();
        }
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
            assertThat(fr.index().packs().values().stream()
                            .filter(p -> p.entries().stream().anyMatch(e -> e.id().equals(chunk))))
                    .as("two packs hold chunk 0")
                    .hasSize(2);
        }
        Files.delete(dir.resolve("data")
                .resolve(served.substring(0, 2))
                .resolve(served)); // the copy the index serves is lost
        try (Repository repo =
                Repositories.open(dir, PW)) { // a restore reads the other copy; check still names the lost pack
            assertThat(TestImages.readAll(repo, s.id())).isEqualTo(img);
            CheckReport r = repo.check(0, ProgressListener.NONE);
            assertThat(r.ok()).isFalse();
            assertThat(String.join("\n", r.errors())).contains(served).contains("missing");
        }
        try (FileRepository fr = FileRepository.open(dir, PW)) {
            fr.prune(ProgressListener.NONE);
        }
        try (FileRepository fr = FileRepository.open(dir, PW)) {
            boolean held = false;
            for (ChunkIndex.PackInfo p : fr.index().packs().values()) {
                if (p.entries().stream().anyMatch(e -> e.id().equals(c))
                        && fr.store().stat(FileRepository.packName(p.packId())) != null) held = true;
            }
            assertThat(held).as("a pack on disk still holds chunk 0").isTrue();
        }
    }

    /** Writes {@code blobs} (id, stored bytes, raw length) as one pack from this thread; returns its id. */
    private static String pack(FileRepository fr, List<Object[]> blobs) throws Exception {
        java.util.Set<String> before = Set.copyOf(fr.index().packs().keySet());
        try (PackWriter pw = fr.newPackWriter()) {
            for (Object[] b : blobs) pw.add((ChunkId) b[0], (byte[]) b[1], (Integer) b[2]);
            pw.flush();
        }
        java.util.Set<String> after = new java.util.HashSet<>(fr.index().packs().keySet());
        after.removeAll(before);
        return after.isEmpty() ? null : after.iterator().next();
    }

    @Test
    void aRepackThatRecreatesAnUnusedPackOfAnInterruptedPruneKeepsIt() throws Exception {
        // an unencrypted repository: the same chunks in the same order make the same pack (same id)
        for (int seed = 0; seed < 32; seed++) {
            Path dir = tmp.resolve("repo" + seed);
            int cs = TestImages.CHUNK;
            byte[][] raw = new byte[3][cs];
            Random r = new Random(seed);
            for (byte[] b : raw) r.nextBytes(b);
            String a, n;
            byte[] kept = new byte[2 * cs];
            try (FileRepository fr = FileRepository.create(dir, TestImages.options(false))) {
                List<Object[]> blobs = new java.util.ArrayList<>();
                byte[] ids = new byte[2 * 32];
                for (int i = 0; i < 3; i++) {
                    ChunkId id = fr.crypto().id(raw[i], 0, cs);
                    blobs.add(new Object[] {
                        id,
                        BlobCodec.encode(
                                fr.crypto(), id, raw[i], cs, fr.config().compressionLevel()),
                        cs
                    });
                    if (i < 2) {
                        id.copyTo(ids, i * 32);
                        System.arraycopy(raw[i], 0, kept, i * cs, cs);
                    }
                }
                a = pack(fr, blobs); // chunks 0 1 2
                fr.writeManifest(new Manifest(
                        "kept",
                        java.time.Instant.now(),
                        2L * cs,
                        cs,
                        null,
                        java.util.Map.of(),
                        2L * cs,
                        0,
                        ids)); // uses 0 1
                // an interrupted prune copied the live chunks of pack a (0 1) into a new pack, then was killed
                n = pack(fr, blobs.subList(0, 2));
                // its index as one set, a listed (and so served) first
                if (a.compareTo(n) > 0) continue;
                IndexCompactor.rewrite(
                        fr,
                        List.of(fr.index().packs().get(a), fr.index().packs().get(n)));
            }
            try (FileRepository fr = FileRepository.open(dir, null)) {
                fr.prune(
                        ProgressListener
                                .NONE); // n is unused (its chunks are served from a), a is repacked: into n again
            }
            try (FileRepository fr = FileRepository.open(dir, null)) {
                SnapshotInfo s = fr.snapshots().get(0);
                CheckReport report = fr.check(100, ProgressListener.NONE);
                assertThat(report.ok())
                        .as("check: errors %s, damaged %s", report.errors(), report.damagedChunks())
                        .isTrue();
                assertThat(TestImages.readAll(fr, s.id())).isEqualTo(kept);
            }
            return;
        }
        throw new AssertionError("no seed gave pack a an id before pack n");
    }
}
