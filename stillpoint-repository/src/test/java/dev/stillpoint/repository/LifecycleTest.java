package dev.stillpoint.repository;

import static dev.stillpoint.repository.TestImages.CHUNK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LifecycleTest {
    @TempDir
    Path tmp;

    @Test
    void forgetThenPruneFreesSpaceAndKeepsTheRest() throws Exception {
        Path dir = tmp.resolve("repo");
        try (Repository repo = Repositories.init(dir, TestImages.options(true))) {
            List<byte[]> imgs = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                imgs.add(TestImages.image(100 + i, 6 * CHUNK + i));
                TestImages.backup(repo, "vm/vda", imgs.get(i));
                Thread.sleep(2);
            }
            byte[] other = TestImages.image(200, 4 * CHUNK);
            SnapshotInfo keep = TestImages.backup(repo, "vm/vdb", other);
            RepositoryStats before = repo.stats();
            assertThat(before.snapshots()).isEqualTo(6);

            ForgetResult dry = repo.forget(RetentionPolicy.keepLast(2), true);
            assertThat(dry.removed()).hasSize(3);
            assertThat(repo.snapshots()).hasSize(6);

            ForgetResult r = repo.forget(RetentionPolicy.keepLast(2), false);
            assertThat(r.removed()).hasSize(3).noneMatch(s -> s.name().equals("vm/vdb"));
            assertThat(repo.snapshots()).hasSize(3);

            PruneResult p = repo.prune(ProgressListener.NONE);
            assertThat(p.chunksRemoved()).isPositive();
            assertThat(p.bytesFreed()).isPositive();
            RepositoryStats after = repo.stats();
            assertThat(after.storedBytes()).isLessThan(before.storedBytes());
            assertThat(repo.check(100, ProgressListener.NONE).ok()).isTrue();
            assertThat(repo.check(100, ProgressListener.NONE).warnings()).isEmpty();
            assertThat(TestImages.readAll(repo, keep.id())).isEqualTo(other);
            List<SnapshotInfo> vda = repo.snapshots().stream()
                    .filter(s -> s.name().equals("vm/vda"))
                    .toList();
            assertThat(TestImages.readAll(repo, vda.get(0).id())).isEqualTo(imgs.get(3));
            assertThat(TestImages.readAll(repo, vda.get(1).id())).isEqualTo(imgs.get(4));
            assertThatThrownBy(() -> repo.forget(new RetentionPolicy(0, 0, 0, 0, 0, 0, ZoneOffset.UTC), false))
                    .hasMessageContaining("keeps nothing");
        }
    }

    @Test
    void retentionBuckets() {
        Instant t0 = Instant.parse("2026-01-01T10:00:00Z");
        List<SnapshotInfo> snaps = new ArrayList<>();
        // every 6 hours for 20 days
        for (int i = 0; i < 80; i++) snaps.add(info("s" + i, t0.plusSeconds(i * 6 * 3600L)));
        var d = Retention.decide(snaps, new RetentionPolicy(2, 0, 7, 0, 0, 0, ZoneOffset.UTC));
        List<String> kept = d.stream()
                .filter(ForgetResult.Decision::keep)
                .map(x -> x.snapshot().id())
                .toList();
        // s79 is Jan 21 04:00 (alone on its day), s78 Jan 20 22:00; each day's newest is s(4k-2).
        // last 2 = s79, s78; daily 7 = s79, s78, s74, s70, s66, s62, s58 (overlapping)
        assertThat(kept).containsExactlyInAnyOrder("s79", "s78", "s74", "s70", "s66", "s62", "s58");
        var w = Retention.decide(snaps, new RetentionPolicy(0, 0, 0, 2, 1, 1, ZoneOffset.UTC));
        assertThat(w.stream().filter(ForgetResult.Decision::keep).count()).isEqualTo(2);
        assertThat(w.get(0).reasons()).containsExactly("weekly", "monthly", "yearly");
    }

    static SnapshotInfo info(String id, Instant t) {
        return new SnapshotInfo(id, "n", t, 1, null, Map.of(), 1, 1);
    }

    @Test
    void twoConcurrentBackupsFromTwoRepositoryHandlesThenCheck() throws Exception {
        Path dir = tmp.resolve("repo");
        Repositories.init(dir, TestImages.options(true)).close();
        byte[] a = TestImages.image(1, 40 * CHUNK + 3);
        byte[] b = TestImages.image(2, 33 * CHUNK + 9);
        ExecutorService ex = Executors.newFixedThreadPool(2);
        try (Repository r1 = Repositories.open(dir, "repo-secret".toCharArray());
                Repository r2 = Repositories.open(dir, "repo-secret".toCharArray())) {
            Callable<SnapshotInfo> ja = () -> TestImages.backup(r1, "a", a);
            Callable<SnapshotInfo> jb = () -> TestImages.backup(r2, "b", b);
            Future<SnapshotInfo> fa = ex.submit(ja), fb = ex.submit(jb);
            SnapshotInfo sa = fa.get(), sb = fb.get();
            try (Repository r = Repositories.open(dir, "repo-secret".toCharArray())) {
                assertThat(r.snapshots()).hasSize(2);
                CheckReport c = r.check(100, ProgressListener.NONE);
                assertThat(c.errors()).isEmpty();
                assertThat(c.ok()).isTrue();
                assertThat(TestImages.readAll(r, sa.id())).isEqualTo(a);
                assertThat(TestImages.readAll(r, sb.id())).isEqualTo(b);
            }
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    void pruneWaitsForNoBackupAndStaleLocksAreCleared() throws Exception {
        Path dir = tmp.resolve("repo");
        try (Repository r1 = Repositories.init(dir, TestImages.options(false));
                Repository r2 = Repositories.open(dir, null)) {
            try (ImageWriter w = r1.newImage("x", CHUNK, null, Map.of(), ProgressListener.NONE)) {
                w.write(0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
                assertThatThrownBy(() -> r2.prune(ProgressListener.NONE))
                        .satisfies(e ->
                                assertThat(((RepositoryException) e).code()).isEqualTo(RepositoryException.Code.LOCKED))
                        .hasMessageContaining("pid " + ProcessHandle.current().pid());
                // a second backup at the same time is fine
                try (ImageWriter w2 = r2.newImage("y", 10, null, Map.of(), ProgressListener.NONE)) {
                    w2.write(0, ByteBuffer.wrap(new byte[10]));
                    w2.commit();
                }
                w.commit();
            }
            assertThat(r2.prune(ProgressListener.NONE).packsDeleted()).isZero();
            // stale: a lock of a dead process on this host, and an expired lease of another host
            Path locks = dir.resolve("locks");
            long deadPid = deadPid();
            Files.writeString(
                    locks.resolve("deadbeef"),
                    "{\"exclusive\":true,\"host\":\""
                            + java.net.InetAddress.getLocalHost().getHostName() + "\",\"pid\":" + deadPid
                            + ",\"created\":\"2026-01-01T00:00:00Z\",\"expires\":\"2999-01-01T00:00:00Z\"}");
            Files.writeString(
                    locks.resolve("cafe"),
                    "{\"exclusive\":true,\"host\":\"elsewhere\",\"pid\":1,\"created\":\"2020-01-01T00:00:00Z\",\"expires\":\"2020-01-01T00:05:00Z\"}");
            Files.writeString(
                    locks.resolve("live"),
                    "{\"exclusive\":true,\"host\":\"elsewhere\",\"pid\":1,\"created\":\"2020-01-01T00:00:00Z\",\"expires\":\"2999-01-01T00:05:00Z\"}");
            assertThatThrownBy(() -> r1.stats()).hasMessageContaining("elsewhere");
            assertThat(locks.resolve("deadbeef")).doesNotExist();
            assertThat(locks.resolve("cafe")).doesNotExist();
            Files.delete(locks.resolve("live"));
            assertThat(r1.stats().snapshots()).isEqualTo(2);
        }
    }

    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    @Test
    void writerRejectsOutOfOrderWritesAndAbandonedWriterLeavesNoSnapshot() throws Exception {
        try (Repository repo = Repositories.init(tmp.resolve("repo"), TestImages.options(false))) {
            try (ImageWriter w = repo.newImage("x", 4 * CHUNK, null, Map.of(), ProgressListener.NONE)) {
                w.write(CHUNK, ByteBuffer.wrap(TestImages.image(1, CHUNK)));
                assertThatThrownBy(() -> w.write(10, ByteBuffer.wrap(new byte[5])))
                        .hasMessageContaining("non-decreasing");
                assertThatThrownBy(() -> w.write(4L * CHUNK - 1, ByteBuffer.wrap(new byte[5])))
                        .hasMessageContaining("exceeds the image size");
            }
            assertThat(repo.snapshots()).isEmpty();
            assertThat(repo.prune(ProgressListener.NONE).packsDeleted()).isGreaterThanOrEqualTo(0);
            assertThat(repo.check(100, ProgressListener.NONE).warnings()).isEmpty();
        }
    }
}
