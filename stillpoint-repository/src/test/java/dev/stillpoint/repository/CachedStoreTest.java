package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16 item 3: a remote repository's index files and manifests come from the local cache on
 * the next open; a damaged or stale cached file is detected and fetched again, never trusted
 * over the backend; forgotten objects leave the cache; {@code --no-cache} bypasses it.
 */
class CachedStoreTest {
    private static final char[] PW = "repo-secret".toCharArray();

    @TempDir
    Path tmp;

    private Path cache;

    /** A directory store that looks remote (no local root: the cache applies) and counts GETs per prefix. */
    static final class CountingRemote extends ForwardingStore {
        final Map<String, AtomicInteger> gets = new ConcurrentHashMap<>();

        CountingRemote(Path dir) {
            super(new LocalStore(dir));
        }

        @Override
        public Path localRoot() {
            return null;
        }

        @Override
        public byte[] get(String name) throws IOException {
            gets.computeIfAbsent(name.substring(0, name.indexOf('/') + 1), k -> new AtomicInteger())
                    .incrementAndGet();
            return super.get(name);
        }

        int gets(String prefix) {
            AtomicInteger n = gets.get(prefix);
            return n == null ? 0 : n.get();
        }
    }

    @BeforeEach
    void cacheDir() {
        cache = tmp.resolve("cache");
        System.setProperty("stillpoint.cacheDir", cache.toString());
    }

    @AfterEach
    void clear() {
        System.clearProperty("stillpoint.cacheDir");
        System.clearProperty("stillpoint.cache");
    }

    private record Opened(FileRepository repo, CountingRemote store) {}

    private Opened open(Path dir) throws IOException {
        CountingRemote s = new CountingRemote(dir);
        return new Opened(FileRepository.open(s, PW), s);
    }

    @Test
    void theSecondOpenReadsNothingAgainAndDamagedOrStaleFilesAreFetchedAgain() throws Exception {
        Path dir = tmp.resolve("repo");
        List<SnapshotInfo> made = new ArrayList<>();
        byte[] img = TestImages.image(3, 5 * TestImages.CHUNK);
        try (Repository repo = Repositories.init(dir, TestImages.options(true))) {
            for (int i = 0; i < 5; i++) {
                img[i * 4096] ^= 1;
                made.add(TestImages.backup(repo, "vm/vda", img, i));
            }
        }
        int indexFiles;
        try (var s = Files.list(dir.resolve("index"))) {
            indexFiles = (int) s.count();
        }
        Opened cold = open(dir);
        try (FileRepository repo = cold.repo()) {
            assertThat(repo.snapshots()).hasSize(5);
            repo.refreshIndex();
        }
        assertThat(cold.store().gets("snapshots/")).isEqualTo(5);
        assertThat(cold.store().gets("index/")).isEqualTo(indexFiles);
        String repoId;
        try (var s = Files.list(cache.resolve("repos"))) {
            repoId = s.findFirst().orElseThrow().getFileName().toString();
        }
        Path cached = cache.resolve("repos").resolve(repoId);

        Opened warm = open(dir);
        try (FileRepository repo = warm.repo()) {
            assertThat(repo.snapshots())
                    .extracting(SnapshotInfo::id)
                    .containsExactlyElementsOf(
                            made.stream().map(SnapshotInfo::id).toList());
            repo.refreshIndex();
            assertThat(TestImages.restore(repo, made.getLast().id(), tmp.resolve("out")))
                    .isEqualTo(img);
        }
        assertThat(warm.store().gets("snapshots/"))
                .as("manifests from the cache")
                .isZero();
        assertThat(warm.store().gets("index/")).as("index files from the cache").isZero();

        // damaged: a flipped byte in a cached manifest; substituted: another manifest under its name
        Path m0 = cached.resolve("snapshots/" + made.get(0).id());
        byte[] b = Files.readAllBytes(m0);
        b[b.length - 1] ^= 1;
        Files.write(m0, b);
        Files.copy(
                cached.resolve("snapshots/" + made.get(2).id()),
                cached.resolve("snapshots/" + made.get(1).id()),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        // stale: the backend's index file was replaced (repair index) after it was cached
        Path anIndex;
        try (var s = Files.list(dir.resolve("index"))) {
            anIndex = s.filter(p -> Hex.isHex(p.getFileName().toString(), 64))
                    .findFirst()
                    .orElseThrow();
        }
        Files.setLastModifiedTime(anIndex, FileTime.from(Instant.now().plusSeconds(5)));
        Opened checked = open(dir);
        try (FileRepository repo = checked.repo()) {
            assertThat(repo.snapshots())
                    .extracting(SnapshotInfo::id)
                    .containsExactlyElementsOf(
                            made.stream().map(SnapshotInfo::id).toList());
            repo.refreshIndex();
            assertThat(repo.index().damagedFiles()).isEmpty();
        }
        assertThat(checked.store().gets("snapshots/"))
                .as("the damaged and the substituted manifest")
                .isEqualTo(2);
        assertThat(checked.store().gets("index/")).as("the replaced index file").isEqualTo(1);

        // forgotten on the backend (by another host): gone from the cache at the next listing
        try (Repository repo = Repositories.open(dir, PW)) {
            repo.forget(made.get(0).id());
        }
        Opened after = open(dir);
        try (FileRepository repo = after.repo()) {
            assertThat(repo.snapshots()).hasSize(4);
        }
        assertThat(cached.resolve("snapshots/" + made.get(0).id())).doesNotExist();
        assertThat(after.store().gets("snapshots/")).isZero();

        System.setProperty("stillpoint.cache", "off");
        Opened bypass = open(dir);
        try (FileRepository repo = bypass.repo()) {
            assertThat(repo.snapshots()).hasSize(4);
        }
        assertThat(bypass.store().gets("snapshots/")).as("--no-cache").isEqualTo(4);
    }
}
