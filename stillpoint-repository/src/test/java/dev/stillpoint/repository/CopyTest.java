package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Repositories#copy}: only missing chunks sent, across keys, idempotent; records travel and are forgotten. */
class CopyTest {
    @TempDir
    Path tmp;

    private static final int CHUNKS = 24;

    private static byte[] changed(byte[] img, int chunk) {
        byte[] b = img.clone();
        for (int i = 0; i < 100; i++) b[chunk * TestImages.CHUNK + i * 7] ^= 0x5a;
        return b;
    }

    private static byte[] dense(long seed) {
        byte[] b = new byte[CHUNKS * TestImages.CHUNK];
        new java.util.Random(seed).nextBytes(b);
        java.util.Arrays.fill(b, 3 * TestImages.CHUNK, 5 * TestImages.CHUNK, (byte) 0); // a hole
        return b;
    }

    @Test
    void copiesAcrossKeysSendingOnlyWhatTheTargetLacksAndASecondRunSendsNothing() throws Exception {
        byte[] v1 = dense(1), v2 = changed(v1, 10);
        try (Repository a = Repositories.init(tmp.resolve("a"), TestImages.options(true));
                Repository b = Repositories.init(tmp.resolve("b"), TestImages.options(true))) {
            SnapshotInfo s1 = TestImages.backup(a, "vm/vda", v1);
            a.putRecord("backup-1", Map.of("vda", s1.id()), "{\"x\":1}");
            CopyResult first = Repositories.copy(a, b, List.of(s1.id()), ProgressListener.NONE);
            assertThat(first.sameChunkIds()).isFalse();
            assertThat(first.snapshotsCopied()).isEqualTo(1);
            assertThat(first.recordsCopied()).isEqualTo(1);
            assertThat(first.chunksSent()).isEqualTo(CHUNKS - 2);
            assertThat(first.chunkBytesSent()).isEqualTo((long) (CHUNKS - 2) * TestImages.CHUNK);
            String c1 = first.snapshots().get(s1.id());
            assertThat(c1).isNotEqualTo(s1.id()); // another key: another manifest
            assertThat(TestImages.readAll(b, c1)).isEqualTo(v1);
            assertThat(b.snapshot(c1).tags()).isEqualTo(s1.tags());
            assertThat(b.records()).singleElement().satisfies(r -> {
                assertThat(r.name()).isEqualTo("backup-1");
                assertThat(r.snapshots()).containsExactly(Map.entry("vda", c1));
                assertThat(r.body()).isEqualTo("{\"x\":1}");
            });

            // a 1-chunk change: one chunk read and sent (the rest named from the first copy)
            SnapshotInfo s2 = TestImages.backup(a, "vm/vda", v2);
            CopyResult second = Repositories.copy(a, b, List.of(s1.id(), s2.id()), ProgressListener.NONE);
            assertThat(second.snapshotsCopied()).isEqualTo(1);
            assertThat(second.snapshotsSkipped()).isEqualTo(1);
            assertThat(second.chunksSent()).isEqualTo(1);
            assertThat(second.chunksRead()).isEqualTo(1);
            assertThat(TestImages.readAll(b, second.snapshots().get(s2.id()))).isEqualTo(v2);

            CopyResult again = Repositories.copy(a, b, List.of(s1.id(), s2.id()), ProgressListener.NONE);
            assertThat(again.snapshotsCopied()).isZero();
            assertThat(again.recordsCopied()).isZero();
            assertThat(again.recordsSkipped()).isEqualTo(1);
            assertThat(again.chunksSent()).isZero();
            assertThat(again.bytesSent()).isZero();
            assertThat(b.check(100, ProgressListener.NONE).ok()).isTrue();
        }
    }

    @Test
    void copyOfACopyBackIsRecognisedAndUnencryptedRepositoriesShareIds() throws Exception {
        byte[] v1 = dense(2);
        try (Repository a = Repositories.init(tmp.resolve("a"), TestImages.options(true));
                Repository b = Repositories.init(tmp.resolve("b"), TestImages.options(false));
                Repository c = Repositories.init(tmp.resolve("c"), TestImages.options(false))) {
            SnapshotInfo s1 = TestImages.backup(a, "vm/vda", v1);
            String inB =
                    Repositories.copy(a, b, List.of(s1.id()), null).snapshots().get(s1.id());
            CopyResult back = Repositories.copy(b, a, List.of(inB), null);
            assertThat(back.snapshotsSkipped()).isEqualTo(1); // its original is there
            assertThat(back.snapshots()).containsEntry(inB, s1.id());
            CopyResult bc = Repositories.copy(b, c, List.of(inB), null);
            assertThat(bc.sameChunkIds()).isTrue();
            assertThat(bc.chunksSent()).isEqualTo(CHUNKS - 2);
            assertThat(TestImages.readAll(c, bc.snapshots().get(inB))).isEqualTo(v1);
            // c's copy remembers a's snapshot as its original: copying it to a sends nothing
            CopyResult ca = Repositories.copy(c, a, List.of(bc.snapshots().get(inB)), null);
            assertThat(ca.snapshotsSkipped()).isEqualTo(1);
            assertThat(ca.chunksSent()).isZero();
        }
    }

    @Test
    void recordsNeedTheirSnapshotsAndGoWithThem() throws Exception {
        try (Repository a = Repositories.init(tmp.resolve("a"), TestImages.options(true))) {
            SnapshotInfo s1 = TestImages.backup(a, "vm/vda", dense(3));
            SnapshotInfo s2 = TestImages.backup(a, "vm/vdb", dense(4));
            assertThatThrownBy(() -> a.putRecord("r", Map.of("vda", "0".repeat(64)), "{}"))
                    .isInstanceOfSatisfying(
                            RepositoryException.class,
                            e -> assertThat(e.code()).isEqualTo(RepositoryException.Code.NOT_FOUND));
            RepositoryRecord r = a.putRecord("r", Map.of("vda", s1.id(), "vdb", s2.id()), "{\"n\":1}");
            assertThat(a.records()).containsExactly(r);
            assertThat(a.check(0, null).ok()).isTrue();
            // a damaged record is an error of check (a new host could not rebuild that backup)
            Path file = tmp.resolve("a/records/" + r.id());
            byte[] good = java.nio.file.Files.readAllBytes(file);
            byte[] bad = good.clone();
            bad[bad.length - 1] ^= 1;
            java.nio.file.Files.write(file, bad);
            CheckReport damaged = a.check(0, null);
            assertThat(damaged.ok()).isFalse();
            assertThat(damaged.errors()).anySatisfy(e -> assertThat(e).contains("record " + r.id()));
            java.nio.file.Files.write(file, good);
            a.forget(s1.id());
            assertThat(a.records()).hasSize(1); // one of its snapshots is left
            a.forget(s2.id());
            assertThat(a.records()).isEmpty();
        }
    }

    @Test
    void differentChunkSizesAreRefused() throws Exception {
        try (Repository a = Repositories.init(tmp.resolve("a"), TestImages.options(false));
                Repository b = Repositories.init(
                        tmp.resolve("b"), TestImages.options(false).withChunkSize(2 * TestImages.CHUNK))) {
            SnapshotInfo s1 = TestImages.backup(a, "vm/vda", dense(5));
            assertThatThrownBy(() -> Repositories.copy(a, b, List.of(s1.id()), null))
                    .hasMessageContaining("different chunk sizes");
        }
    }
}
