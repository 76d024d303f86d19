package dev.stillpoint.repository;

import static dev.stillpoint.repository.TestImages.CHUNK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DamageTest {
    @TempDir
    Path tmp;

    static final char[] PW = "repo-secret".toCharArray();

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void flippedByteIsNamedByCheckWithEverySnapshotAndRestoreFailsLoudly(boolean encrypted) throws Exception {
        Path dir = tmp.resolve("repo");
        byte[] img = TestImages.image(11, 12 * CHUNK + 17);
        byte[] other = TestImages.image(12, 3 * CHUNK);
        SnapshotInfo a, b, c;
        try (Repository repo = Repositories.init(dir, TestImages.options(encrypted))) {
            a = TestImages.backup(repo, "a", img);
            b = TestImages.backup(repo, "b", img);
            c = TestImages.backup(repo, "c", other);
            assertThat(repo.check(100, ProgressListener.NONE).ok()).isTrue();
        }
        // damage one chunk that a and b use but c does not
        FileRepository fr = FileRepository.open(dir, PW);
        Manifest ma = fr.loadManifest(a.id());
        Manifest mc = fr.loadManifest(c.id());
        ChunkId victim = null;
        for (int i = 0; i < ma.count() && victim == null; i++) {
            ChunkId id = ma.chunk(i);
            boolean inC = false;
            for (int k = 0; k < mc.count(); k++) inC |= id != null && id.equals(mc.chunk(k));
            if (id != null && !inC) victim = id;
        }
        assertThat(victim).isNotNull();
        ChunkIndex.Location loc = fr.index().get(victim);
        fr.close();
        Path pack = dir.resolve("data").resolve(loc.packId().substring(0, 2)).resolve(loc.packId());
        flip(pack, loc.offset() + loc.length() / 2);

        try (Repository repo = Repositories.open(dir, PW)) {
            CheckReport structural = repo.check(0, ProgressListener.NONE);
            assertThat(structural.ok()).isTrue(); // structure is intact, only data is damaged
            CheckReport r = repo.check(100, ProgressListener.NONE);
            assertThat(r.ok()).isFalse();
            assertThat(r.damagedChunks()).hasSize(1);
            CheckReport.DamagedChunk d = r.damagedChunks().get(0);
            assertThat(d.chunkId()).isEqualTo(victim.hex());
            assertThat(d.packId()).isEqualTo(loc.packId());
            assertThat(d.snapshotIds()).containsExactlyInAnyOrder(a.id(), b.id());
            assertThatThrownBy(() -> TestImages.restore(repo, a.id(), tmp.resolve("ra")))
                    .isInstanceOf(RepositoryException.class)
                    .satisfies(e ->
                            assertThat(((RepositoryException) e).code()).isEqualTo(RepositoryException.Code.CORRUPT))
                    .hasMessageContaining(victim.hex());
            assertThatThrownBy(() -> TestImages.readAll(repo, b.id())).isInstanceOf(RepositoryException.class);
            assertThat(TestImages.restore(repo, c.id(), tmp.resolve("rc"))).isEqualTo(other);
        }
    }

    static void flip(Path file, long pos) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
            ch.read(b, pos);
            b.put(0, (byte) (b.get(0) ^ 0x40));
            b.rewind();
            ch.write(b, pos);
        }
    }

    @Test
    void wrongPassphraseIsClearAndChangesNothing() throws Exception {
        Path dir = tmp.resolve("repo");
        try (Repository repo = Repositories.init(dir, TestImages.options(true))) {
            TestImages.backup(repo, "a", TestImages.image(1, 3 * CHUNK));
        }
        Map<String, String> before = tree(dir);
        assertThatThrownBy(() -> Repositories.open(dir, "wrong".toCharArray()))
                .isInstanceOf(RepositoryException.class)
                .hasMessageContaining("wrong passphrase")
                .satisfies(e -> assertThat(((RepositoryException) e).code())
                        .isEqualTo(RepositoryException.Code.WRONG_PASSWORD));
        assertThatThrownBy(() -> Repositories.open(dir, null))
                .satisfies(e -> assertThat(((RepositoryException) e).code())
                        .isEqualTo(RepositoryException.Code.WRONG_PASSWORD));
        assertThat(tree(dir)).isEqualTo(before);
    }

    @Test
    void unknownVersionIsClearAndChangesNothing() throws Exception {
        Path dir = tmp.resolve("repo");
        Repositories.init(dir, TestImages.options(false)).close();
        Path config = dir.resolve("config");
        Files.writeString(config, Files.readString(config).replace("\"version\" : 3", "\"version\" : 7"));
        assertThat(Files.readString(config)).contains("7");
        Map<String, String> before = tree(dir);
        assertThatThrownBy(() -> Repositories.open(dir, null))
                .hasMessageContaining("version 7")
                .hasMessageContaining("supports versions 1 to 3")
                .satisfies(e -> assertThat(((RepositoryException) e).code())
                        .isEqualTo(RepositoryException.Code.UNSUPPORTED_VERSION));
        assertThat(tree(dir)).isEqualTo(before);
    }

    @Test
    void unknownOrMissingIdHashIsClearAndChangesNothing() throws Exception {
        Path dir = tmp.resolve("repo");
        Repositories.init(dir, TestImages.options(false)).close();
        Path config = dir.resolve("config");
        String good = Files.readString(config);
        assertThat(good).contains("\"idHash\" : \"blake3\"");
        Files.writeString(config, good.replace("\"blake3\"", "\"md5\""));
        Map<String, String> before = tree(dir);
        assertThatThrownBy(() -> Repositories.open(dir, null))
                .hasMessageContaining(config.toString())
                .hasMessageContaining("'idHash'")
                .hasMessageContaining("md5")
                .satisfies(e -> assertThat(((RepositoryException) e).code())
                        .isEqualTo(RepositoryException.Code.UNSUPPORTED_VERSION));
        assertThat(tree(dir)).isEqualTo(before);
        Files.writeString(config, good.replace(",\n  \"idHash\" : \"blake3\"", ""));
        assertThat(Files.readString(config)).doesNotContain("idHash");
        assertThatThrownBy(() -> Repositories.open(dir, null))
                .hasMessageContaining("'idHash'")
                .satisfies(
                        e -> assertThat(((RepositoryException) e).code()).isEqualTo(RepositoryException.Code.CORRUPT));
    }

    @Test
    void truncatedFilesGiveClearErrors() throws Exception {
        Path dir = tmp.resolve("repo");
        SnapshotInfo s;
        try (Repository repo = Repositories.init(dir, TestImages.options(true))) {
            s = TestImages.backup(repo, "a", TestImages.image(1, 3 * CHUNK));
            TestImages.backup(repo, "b", TestImages.image(2, 3 * CHUNK));
        }
        // truncated snapshot manifest
        Path manifest = dir.resolve("snapshots").resolve(s.id());
        byte[] m = Files.readAllBytes(manifest);
        Files.write(manifest, java.util.Arrays.copyOf(m, m.length / 2));
        try (Repository repo = Repositories.open(dir, PW)) {
            assertThatThrownBy(repo::snapshots)
                    .hasMessageContaining(s.id())
                    .satisfies(e ->
                            assertThat(((RepositoryException) e).code()).isEqualTo(RepositoryException.Code.CORRUPT));
            assertThat(repo.check(0, ProgressListener.NONE).errors()).anyMatch(e -> e.contains(s.id()));
            assertThatThrownBy(() -> repo.prune(ProgressListener.NONE)).hasMessageContaining("prune refuses");
        }
        // truncated key file
        Path key = dir.resolve("keys").resolve("master.json");
        byte[] k = Files.readAllBytes(key);
        Files.write(key, java.util.Arrays.copyOf(k, k.length - 20));
        Map<String, String> before = tree(dir);
        assertThatThrownBy(() -> Repositories.open(dir, PW))
                .hasMessageContaining("master.json")
                .satisfies(
                        e -> assertThat(((RepositoryException) e).code()).isEqualTo(RepositoryException.Code.CORRUPT));
        // truncated config
        Path config = dir.resolve("config");
        Files.write(config, java.util.Arrays.copyOf(Files.readAllBytes(config), 10));
        assertThatThrownBy(() -> Repositories.open(dir, PW))
                .hasMessageContaining("config")
                .satisfies(
                        e -> assertThat(((RepositoryException) e).code()).isEqualTo(RepositoryException.Code.CORRUPT));
        before.remove("config");
        Map<String, String> after = tree(dir);
        after.remove("config");
        assertThat(after).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void damagedPackHeaderIsReportedByCheckWhileItsChunksStillRestore(boolean encrypted) throws Exception {
        Path dir = tmp.resolve("repo");
        byte[] img = TestImages.image(5, 6 * CHUNK + 3);
        SnapshotInfo s;
        try (Repository repo = Repositories.init(dir, TestImages.options(encrypted))) {
            s = TestImages.backup(repo, "a", img);
        }
        Path pack;
        try (Stream<Path> st = Files.walk(dir.resolve("data"))) {
            pack = st.filter(Files::isRegularFile).findFirst().orElseThrow();
        }
        flip(pack, Files.size(pack) - 8 - 5); // inside the header, before the trailer
        try (Repository repo = Repositories.open(dir, encrypted ? PW : null)) {
            CheckReport r = repo.check(100, ProgressListener.NONE);
            assertThat(r.ok()).isFalse();
            assertThat(r.errors()).anyMatch(e -> e.contains(pack.getFileName().toString()) && e.contains("header"));
            assertThat(r.damagedChunks()).isEmpty();
            assertThat(TestImages.restore(repo, s.id(), tmp.resolve("r"))).isEqualTo(img);
        }
    }

    @Test
    void packsNamedByTheHashOfTheWholeFileAreStillAccepted() throws Exception {
        Path dir = tmp.resolve("repo");
        byte[] img = TestImages.image(8, 5 * CHUNK);
        SnapshotInfo s;
        try (Repository repo = Repositories.init(dir, TestImages.options(false))) {
            s = TestImages.backup(repo, "a", img);
        }
        List<Path> packs;
        try (Stream<Path> st = Files.walk(dir.resolve("data"))) {
            packs = st.filter(Files::isRegularFile).toList();
        }
        assertThat(packs).isNotEmpty();
        for (Path p : packs) { // rename as an 0.1 development build named them
            byte[] all = Files.readAllBytes(p);
            String legacy = Hex.of(Crypto.sha256(all, 0, all.length));
            String old = p.getFileName().toString();
            assertThat(legacy).isNotEqualTo(old);
            Path to = dir.resolve("data").resolve(legacy.substring(0, 2)).resolve(legacy);
            Files.createDirectories(to.getParent());
            Files.move(p, to);
            Files.move(dir.resolve("index").resolve(old), dir.resolve("index").resolve(legacy));
        }
        try (Repository repo = Repositories.open(dir, null)) {
            CheckReport r = repo.check(100, ProgressListener.NONE);
            assertThat(r.errors()).isEmpty();
            assertThat(r.ok()).isTrue();
            assertThat(TestImages.restore(repo, s.id(), tmp.resolve("r"))).isEqualTo(img);
        }
    }

    @Test
    void truncatedPackIsReportedByCheck() throws Exception {
        Path dir = tmp.resolve("repo");
        SnapshotInfo s;
        try (Repository repo = Repositories.init(dir, TestImages.options(false))) {
            s = TestImages.backup(repo, "a", TestImages.image(3, 9 * CHUNK));
        }
        // cut the pack that holds the first chunk in the middle of that chunk
        ChunkIndex.Location loc;
        try (FileRepository fr = FileRepository.open(dir, null)) {
            loc = fr.index().get(fr.loadManifest(s.id()).chunk(0));
        }
        Path pack = dir.resolve("data").resolve(loc.packId().substring(0, 2)).resolve(loc.packId());
        try (FileChannel ch = FileChannel.open(pack, StandardOpenOption.WRITE)) {
            ch.truncate(loc.offset() + loc.length() / 2);
        }
        try (Repository repo = Repositories.open(dir, null)) {
            CheckReport r = repo.check(100, ProgressListener.NONE);
            assertThat(r.ok()).isFalse();
            assertThat(r.errors()).anyMatch(e -> e.contains(pack.getFileName().toString()) && e.contains("truncated"));
            assertThat(r.damagedChunks())
                    .isNotEmpty()
                    .allSatisfy(d -> assertThat(d.snapshotIds()).containsExactly(s.id()));
        }
    }

    @Test
    void initRefusesExistingRepository() throws Exception {
        Path dir = tmp.resolve("repo");
        Repositories.init(dir, TestImages.options(false)).close();
        assertThatThrownBy(() -> Repositories.init(dir, TestImages.options(false)))
                .satisfies(e -> assertThat(((RepositoryException) e).code())
                        .isEqualTo(RepositoryException.Code.ALREADY_EXISTS));
        assertThatThrownBy(() -> Repositories.open(tmp.resolve("nope"), null))
                .satisfies(e ->
                        assertThat(((RepositoryException) e).code()).isEqualTo(RepositoryException.Code.NOT_FOUND));
    }

    /** Relative path -> SHA-256 of every regular file (locks/ and tmp/ excluded: empty when idle). */
    static Map<String, String> tree(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                byte[] d = Files.readAllBytes(p);
                out.put(dir.relativize(p).toString(), Hex.of(Crypto.sha256(d, 0, d.length)));
            }
        }
        out.put("#files", String.valueOf(out.size()).getBytes(StandardCharsets.UTF_8).length + "");
        return out;
    }

    @Test
    void lostAndDamagedIndexFilesAreRebuiltFromPackHeaders() throws Exception {
        Path dir = tmp.resolve("repo");
        byte[] img = TestImages.image(21, 20 * CHUNK + 9);
        SnapshotInfo s;
        try (Repository repo = Repositories.init(dir, TestImages.options(true))) {
            s = TestImages.backup(repo, "a", img);
        }
        List<Path> index;
        try (Stream<Path> st = Files.list(dir.resolve("index"))) {
            index = st.sorted().toList();
        }
        assertThat(index).hasSizeGreaterThan(1);
        Files.delete(index.get(0));
        byte[] d = Files.readAllBytes(index.get(1));
        Files.write(index.get(1), java.util.Arrays.copyOf(d, d.length - 3));
        try (Repository repo = Repositories.open(dir, PW)) {
            CheckReport broken = repo.check(0, ProgressListener.NONE);
            assertThat(broken.ok()).isFalse();
            assertThat(broken.damagedChunks())
                    .allSatisfy(c -> assertThat(c.snapshotIds()).containsExactly(s.id()));
            assertThatThrownBy(() -> TestImages.readAll(repo, s.id())).isInstanceOf(RepositoryException.class);
            assertThat(repo.repairIndex()).isEqualTo(2);
            CheckReport fixed = repo.check(100, ProgressListener.NONE);
            assertThat(fixed.ok()).isTrue();
            assertThat(fixed.warnings()).isEmpty();
            assertThat(TestImages.readAll(repo, s.id())).isEqualTo(img);
        }
    }
}
