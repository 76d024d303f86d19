package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Index sets: many packs listed by few files, merged beside readers, rewritten by prune, repaired. */
class IndexCompactorTest {
    private static final char[] PW = "repo-secret".toCharArray();
    /** 96 chunks of random data at 4 chunks per pack: 24 packs, more than {@link IndexCompactor#MAX_SMALL_FILES}. */
    private static final int CHUNKS = 96;

    @TempDir
    Path tmp;

    private static byte[] randomImage(long seed) {
        byte[] b = new byte[CHUNKS * TestImages.CHUNK];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    private static List<String> indexFiles(Path dir) throws Exception {
        try (Stream<Path> st = Files.list(dir.resolve("index"))) {
            return st.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static Set<String> packFiles(Path dir) throws Exception {
        try (Stream<Path> st = Files.walk(dir.resolve("data"))) {
            return st.filter(Files::isRegularFile)
                    .map(p -> p.getFileName().toString())
                    .collect(Collectors.toSet());
        }
    }

    /** {@code check} with all data finds neither errors nor warnings, and {@code snapshotId} restores to {@code img}. */
    private static void assertCleanAndRestores(Repository repo, String snapshotId, byte[] img) throws Exception {
        CheckReport r = repo.check(100, ProgressListener.NONE);
        assertThat(r.errors()).isEmpty();
        assertThat(r.warnings()).isEmpty();
        assertThat(TestImages.readAll(repo, snapshotId)).isEqualTo(img);
    }

    /** A new encrypted repository in {@code dir} holding one snapshot of {@code img}. */
    private static SnapshotInfo newEncryptedRepoWith(Path dir, String name, byte[] img) throws Exception {
        try (Repository repo = Repositories.init(dir, TestImages.options(true))) {
            return TestImages.backup(repo, name, img);
        }
    }

    @Test
    void aBackupOfManyPacksLeavesOneIndexSetThatServesEveryChunk() throws Exception {
        Path dir = tmp.resolve("repo");
        byte[] img = randomImage(1);
        SnapshotInfo s = newEncryptedRepoWith(dir, "a", img);
        assertThat(packFiles(dir)).hasSizeGreaterThan(IndexCompactor.MAX_SMALL_FILES);
        List<String> files = indexFiles(dir);
        assertThat(files).hasSize(1);
        assertThat(files.get(0)).startsWith(ChunkIndex.SET_PREFIX);
        try (FileRepository fr = FileRepository.open(dir, PW)) {
            assertThat(fr.index().packs().keySet()).isEqualTo(packFiles(dir));
            assertThat(fr.index().loadErrors()).isEmpty();
            assertCleanAndRestores(fr, s.id(), img);
        }
    }

    @Test
    void aReaderThatLoadedThePacksOwnFilesKeepsEveryChunkWhenAnotherProcessMergesThem() throws Exception {
        Path dir = tmp.resolve("repo");
        try (Repository repo = Repositories.init(dir, TestImages.options(false))) {
            TestImages.backup(repo, "a", randomImage(5));
            Files.delete(dir.resolve("index").resolve(indexFiles(dir).get(0)));
            repo.repairIndex(); // one index file per pack again, as before any merge
        }
        List<String> before = indexFiles(dir);
        assertThat(before).allSatisfy(n -> assertThat(n).doesNotStartWith(ChunkIndex.SET_PREFIX));
        assertThat(before.size()).isGreaterThan(IndexCompactor.MAX_SMALL_FILES);
        try (FileRepository reader = FileRepository.open(dir, null);
                FileRepository other = FileRepository.open(dir, null)) {
            int chunks = reader.index().chunkCount();
            Set<String> packs = Set.copyOf(reader.index().packs().keySet());
            assertThat(IndexCompactor.compactSmall(other)).isEqualTo(before.size());
            assertThat(indexFiles(dir)).hasSize(1);
            reader.index().refresh(reader.store(), reader.crypto()); // its pack files are gone; the set lists them
            assertThat(reader.index().packs().keySet()).isEqualTo(packs);
            assertThat(reader.index().chunkCount()).isEqualTo(chunks);
            assertThat(reader.index().files()).containsOnlyKeys(indexFiles(dir).get(0));
        }
    }

    @Test
    void pruneRewritesTheSetsWithoutTheRemovedPacksAndCheckStillPasses() throws Exception {
        Path dir = tmp.resolve("repo");
        byte[] keep = randomImage(3);
        SnapshotInfo kept;
        try (Repository repo = Repositories.init(dir, TestImages.options(true))) {
            SnapshotInfo old = TestImages.backup(repo, "old", randomImage(2));
            kept = TestImages.backup(repo, "new", keep);
            repo.forget(old.id());
            Set<String> packsBefore = packFiles(dir);
            PruneResult pr = repo.prune(ProgressListener.NONE);
            assertThat(pr.packsDeleted()).isGreaterThan(0);
            assertThat(packFiles(dir)).hasSize(packsBefore.size() - pr.packsDeleted());
        }
        assertThat(indexFiles(dir)).allSatisfy(n -> assertThat(n).startsWith(ChunkIndex.SET_PREFIX));
        try (FileRepository fr = FileRepository.open(dir, PW)) {
            assertThat(fr.index().packs().keySet()).isEqualTo(packFiles(dir)); // no removed pack listed, none unlisted
            assertCleanAndRestores(fr, kept.id(), keep);
        }
    }

    @Test
    void aDamagedIndexSetIsReportedAndRepairedFromThePackHeaders() throws Exception {
        Path dir = tmp.resolve("repo");
        byte[] img = randomImage(4);
        SnapshotInfo s = newEncryptedRepoWith(dir, "a", img);
        Path set = dir.resolve("index").resolve(indexFiles(dir).get(0));
        byte[] d = Files.readAllBytes(set);
        d[d.length / 2] ^= 1;
        Files.write(set, d);
        int packs = packFiles(dir).size();
        try (Repository repo = Repositories.open(dir, PW)) {
            CheckReport broken = repo.check(0, ProgressListener.NONE);
            assertThat(broken.ok()).isFalse();
            assertThat(String.join("\n", broken.errors()))
                    .contains(set.getFileName().toString());
            assertThat(repo.repairIndex()).isEqualTo(packs);
            assertCleanAndRestores(repo, s.id(), img);
        }
        assertThat(indexFiles(dir)).doesNotContain(set.getFileName().toString()).hasSize(packs);
    }

    @Test
    void aVersionOneRepositoryGetsNoSetsUntilPruneUpgradesIt() throws Exception {
        Path dir = tmp.resolve("repo");
        try (Repository repo =
                Repositories.init(dir, TestImages.options(false).withIdHash(RepositoryOptions.IdHash.SHA256))) {}
        Path config = dir.resolve("config");
        String v3 = Files.readString(config);
        Files.writeString(
                config,
                v3.replace("\"version\" : 3", "\"version\" : 1")
                        .replace(",\n  \"idHash\" : \"sha256\"", "")); // as 0.1 builds wrote it
        assertThat(Files.readString(config)).isNotEqualTo(v3).doesNotContain("idHash");
        byte[] img = randomImage(6);
        SnapshotInfo s;
        try (Repository repo = Repositories.open(dir, null)) {
            s = TestImages.backup(repo, "a", img);
            // a version-1 build would take the packs of a set for orphans: only per-pack files here
            assertThat(indexFiles(dir))
                    .hasSize(packFiles(dir).size())
                    .allSatisfy(n -> assertThat(n).doesNotStartWith(ChunkIndex.SET_PREFIX));
            repo.prune(ProgressListener.NONE);
        }
        assertThat(Files.readString(config)).contains("\"version\" : 2");
        assertThat(indexFiles(dir)).hasSize(1).allSatisfy(n -> assertThat(n).startsWith(ChunkIndex.SET_PREFIX));
        try (Repository repo = Repositories.open(dir, null)) {
            assertThat(repo.check(100, ProgressListener.NONE).errors()).isEmpty();
            assertThat(TestImages.readAll(repo, s.id())).isEqualTo(img);
        }
    }

    @Test
    void twoBackupsMergingAtOnceAndAReaderRefreshingMeanwhileLoseNothing() throws Exception {
        Path dir = tmp.resolve("repo");
        byte[] base = randomImage(10);
        SnapshotInfo s0 = newEncryptedRepoWith(dir, "base", base);
        java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newFixedThreadPool(3);
        try (FileRepository r1 = FileRepository.open(dir, PW);
                FileRepository r2 = FileRepository.open(dir, PW);
                FileRepository reader = FileRepository.open(dir, PW)) {
            List<ChunkId> baseChunks = new java.util.ArrayList<>();
            Manifest m0 = reader.loadManifest(s0.id());
            for (int c = 0; c < m0.count(); c++) baseChunks.add(m0.chunk(c));
            for (int round = 0; round < 3; round++) {
                byte[] a = randomImage(100 + round), b = randomImage(200 + round);
                var done = new java.util.concurrent.atomic.AtomicBoolean();
                var fa = ex.submit(() -> TestImages.backup(r1, "a", a));
                var fb = ex.submit(() -> TestImages.backup(r2, "b", b));
                var fr = ex.submit(
                        () -> { // never sees a chunk of the base snapshot vanish while the others merge
                            int refreshes = 0;
                            while (!done.get()) {
                                reader.index().refresh(reader.store(), reader.crypto());
                                for (ChunkId c : baseChunks)
                                    assertThat(reader.index().get(c))
                                            .as("refresh %d", refreshes)
                                            .isNotNull();
                                refreshes++;
                            }
                            return refreshes;
                        });
                SnapshotInfo sa = fa.get(), sb = fb.get();
                done.set(true);
                assertThat(fr.get()).isPositive();
                assertThat(TestImages.readAll(reader, sa.id())).isEqualTo(a);
                assertThat(TestImages.readAll(reader, sb.id())).isEqualTo(b);
            }
            assertCleanAndRestores(reader, s0.id(), base);
        } finally {
            ex.shutdownNow();
        }
        assertThat(indexFiles(dir).size()).isLessThanOrEqualTo(IndexCompactor.MAX_SMALL_FILES);
    }

    @Test
    void aFileMergedAwayBetweenListingAndReadingIsFoundInTheSetThatReplacedIt() throws Exception {
        Path dir = tmp.resolve("repo");
        try (Repository repo = Repositories.init(dir, TestImages.options(false))) {
            TestImages.backup(repo, "a", randomImage(7));
            Files.delete(dir.resolve("index").resolve(indexFiles(dir).get(0)));
            repo.repairIndex(); // one file per pack
        }
        List<String> singles = indexFiles(dir);
        String victim = singles.get(singles.size() / 2);
        var merged = new java.util.concurrent.atomic.AtomicBoolean();
        // as another process merging right after this refresh listed the directory: the set is
        // written, then the victim is deleted, and only then does this refresh come to read it
        ChunkIndex idx = new ChunkIndex((store, file) -> {
            if (file.equals("index/" + victim) && merged.compareAndSet(false, true)) {
                try (FileRepository other = FileRepository.open(dir, null)) {
                    assertThat(IndexCompactor.compactSmall(other)).isEqualTo(singles.size());
                }
            }
            return store.get(file);
        });
        try (FileRepository fr = FileRepository.open(dir, null)) {
            idx.refresh(fr.store(), fr.crypto());
        }
        assertThat(merged).isTrue();
        assertThat(idx.packs().keySet()).isEqualTo(packFiles(dir)); // the victim's pack too
        assertThat(idx.loadErrors()).isEmpty();
        assertThat(idx.files()).containsOnlyKeys(indexFiles(dir));
    }

    @Test
    void aListingThatRacedAMergeAndSawNeitherTheSetNorTheMergedFilesForgetsNoPack() throws Exception {
        Path dir = tmp.resolve("repo");
        try (Repository repo = Repositories.init(dir, TestImages.options(false))) {
            TestImages.backup(repo, "a", randomImage(8));
            Files.delete(dir.resolve("index").resolve(indexFiles(dir).get(0)));
            repo.repairIndex(); // one file per pack
        }
        var race = new java.util.concurrent.atomic.AtomicBoolean();
        // POSIX readdir: an entry added or removed while the directory is being listed may or may
        // not be returned. Another process merges while this refresh lists: its files are deleted
        // before the listing reaches them, and the set is created where the listing already was.
        ChunkIndex idx = new ChunkIndex(dev.stillpoint.repository.store.Store::get, d -> {
            if (race.compareAndSet(true, false)) {
                try (FileRepository other = FileRepository.open(dir, null)) {
                    assertThat(IndexCompactor.compactSmall(other)).isGreaterThan(0);
                }
                List<String> seen = new java.util.ArrayList<>();
                for (String p : ChunkIndex.listIndex(d))
                    if (!p.startsWith("index/" + ChunkIndex.SET_PREFIX)) seen.add(p);
                return seen;
            }
            return ChunkIndex.listIndex(d);
        });
        try (FileRepository fr = FileRepository.open(dir, null)) {
            idx.refresh(fr.store(), fr.crypto());
            Set<String> packs = Set.copyOf(idx.packs().keySet());
            assertThat(packs).isEqualTo(packFiles(dir));
            race.set(true);
            idx.refresh(fr.store(), fr.crypto()); // under a shared lock: no prune ran, no pack may be forgotten
            assertThat(race).isFalse();
            assertThat(idx.packs().keySet()).isEqualTo(packs);
            assertThat(idx.files()).containsOnlyKeys(indexFiles(dir));
        }
    }
}
