package dev.stillpoint.repository;

import static dev.stillpoint.repository.TestImages.CHUNK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.testkit.S3Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository on a real S3 server (s3proxy as its own process): init, backup, restore
 * (byte-equal), check with every pack read, forget and prune; and SIGKILL of a child JVM that
 * backs up, forgets and prunes into the bucket: the repository checks clean and a rerun completes.
 */
class S3RepositoryIT {
    @TempDir
    static Path work;

    static S3Proxy s3;
    static final char[] PW = "repo-secret".toCharArray();

    @BeforeAll
    static void start() throws Exception {
        s3 = S3Proxy.start(work);
        s3.useInThisJvm();
        s3.createBucket("repos");
        System.setProperty("stillpoint.cacheDir", work.resolve("cache").toString());
    }

    @AfterAll
    static void stop() throws Exception {
        if (s3 != null) s3.close();
    }

    @Test
    void backupRestoreCheckPruneInABucket(@TempDir Path tmp) throws Exception {
        String loc = s3.location("repos", "life/cycle");
        byte[] a = TestImages.image(1, 40 * CHUNK + 123), b = a.clone();
        for (int i = 5 * CHUNK; i < 8 * CHUNK; i++) b[i] ^= 0x5a; // b differs from a in 3 chunks
        String ida, idb;
        try (Repository repo = Repositories.init(loc, TestImages.options(true))) {
            ida = TestImages.backup(repo, "disk", a).id();
            idb = TestImages.backup(repo, "disk", b).id();
        }
        // the bucket holds the local layout under the prefix
        Path prefix = s3.dataDir().resolve("repos/life/cycle");
        assertThat(prefix.resolve("config")).exists();
        assertThat(prefix.resolve("keys/master.json")).exists();
        try (var s = Files.list(prefix.resolve("snapshots"))) {
            assertThat(s.filter(p -> !p.getFileName().toString().startsWith("."))
                            .count())
                    .isEqualTo(2);
        }

        assertThat(Repositories.isEncrypted(loc)).isTrue();
        try (Repository repo = Repositories.open(loc, PW)) {
            assertThat(repo.snapshots()).extracting(SnapshotInfo::id).containsExactlyInAnyOrder(ida, idb);
            assertThat(TestImages.restore(repo, ida, tmp.resolve("a.img"))).isEqualTo(a);
            assertThat(TestImages.restore(repo, idb, tmp.resolve("b.img"))).isEqualTo(b);
            CheckReport r = repo.check(100, ProgressListener.NONE);
            assertThat(r.errors()).isEmpty();
            assertThat(r.ok()).isTrue();
            assertThat(r.bytesRead()).isPositive();
            repo.forget(ida);
            PruneResult p = repo.prune(ProgressListener.NONE);
            assertThat(p.packsDeleted() + p.packsRepacked()).isPositive();
            CheckReport after = repo.check(100, ProgressListener.NONE);
            assertThat(after.ok()).isTrue();
            assertThat(after.warnings()).isEmpty();
            assertThat(TestImages.readAll(repo, idb)).isEqualTo(b);
        }
        try (Repository repo = Repositories.open(loc, PW)) {
            assertThat(repo.stats().snapshots()).isEqualTo(1);
        }
    }

    @Test
    void killDuringBackupAndPruneIntoABucketLeavesACleanRepository() throws Exception {
        String loc = s3.location("repos", "crash");
        byte[] base = TestImages.image(9001, 10 * CHUNK + 5);
        String id0;
        try (Repository repo = Repositories.init(loc, TestImages.options(true))) {
            id0 = TestImages.backup(repo, "base", base).id();
        }
        Random rnd = new Random();
        int kills = 0;
        for (int round = 0; round < 4; round++) {
            Path out = work.resolve("child" + round + ".out"), err = work.resolve("child" + round + ".err");
            ProcessBuilder pb = new ProcessBuilder(
                    ChildJvm.command(List.of("-Xmx128m"), CrashChild.class, loc, String.valueOf(round + 1)));
            pb.environment().putAll(s3.env());
            Process child =
                    pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!(Files.exists(out) && Files.readString(out).contains("opened"))) {
                assertThat(child.isAlive())
                        .as("child: %s", Files.exists(err) ? Files.readString(err) : "")
                        .isTrue();
                assertThat(System.nanoTime()).as("child opened within 60 s").isLessThan(deadline);
                Thread.sleep(20);
            }
            long delay = 300 + rnd.nextInt(3000);
            assertThat(child.waitFor(delay, TimeUnit.MILLISECONDS))
                    .as("still running when killed: %s", Files.readString(err))
                    .isFalse();
            child.destroyForcibly(); // SIGKILL
            child.waitFor();
            kills++;
            String said = Files.readString(out).replace('\n', ' ');
            System.out.println(
                    "S3RepositoryIT round " + round + " killed " + delay + " ms after open; child said: " + said);
            try (Repository repo = Repositories.open(loc, PW)) {
                CheckReport r = repo.check(100, ProgressListener.NONE);
                assertThat(r.errors()).as("round %d: %s", round, said).isEmpty();
                assertThat(TestImages.readAll(repo, id0)).isEqualTo(base);
                for (SnapshotInfo s : repo.snapshots()) {
                    if (!s.name().equals("child")) continue;
                    long seed = Long.parseLong(s.tags().get("seed"));
                    int iter = Integer.parseInt(s.tags().get("iter"));
                    assertThat(TestImages.readAll(repo, s.id()))
                            .isEqualTo(TestImages.image(seed * 1000 + iter, 24 * CHUNK + iter));
                }
            }
        }
        assertThat(kills).isEqualTo(4);
        // a rerun completes (the killed children's locks are stale: same host, dead pid), prune leaves no orphan
        try (Repository repo = Repositories.open(loc, PW)) {
            byte[] img = TestImages.image(77, 5 * CHUNK);
            SnapshotInfo s = TestImages.backup(repo, "after", img);
            repo.prune(ProgressListener.NONE);
            CheckReport r = repo.check(100, ProgressListener.NONE);
            assertThat(r.ok()).isTrue();
            assertThat(r.warnings()).isEmpty();
            assertThat(TestImages.readAll(repo, s.id())).isEqualTo(img);
        }
    }

    @Test
    void aLockLeaseFromAnotherHostBlocksUntilItExpires() throws Exception {
        String loc = s3.location("repos", "leases");
        try (Repository repo = Repositories.init(loc, TestImages.options(false))) {
            TestImages.backup(repo, "x", TestImages.image(5, 3 * CHUNK));
        }
        Path locks = s3.dataDir().resolve("repos/leases/locks");
        Files.createDirectories(locks);
        String live =
                "{\"exclusive\":true,\"host\":\"other-host\",\"pid\":1,\"created\":\"2026-01-01T00:00:00Z\",\"expires\":\""
                        + java.time.Instant.now().plusSeconds(600) + "\"}";
        Files.writeString(locks.resolve("aaaa"), live);
        try (Repository repo = Repositories.open(loc, null)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> repo.check(0, ProgressListener.NONE))
                    .isInstanceOfSatisfying(
                            RepositoryException.class,
                            e -> assertThat(e.code()).isEqualTo(RepositoryException.Code.LOCKED))
                    .hasMessageContaining("other-host");
        }
        String expired = live.replaceAll(
                "\"expires\":\"[^\"]+\"",
                "\"expires\":\"" + java.time.Instant.now().minusSeconds(1) + "\"");
        Files.writeString(locks.resolve("aaaa"), expired);
        try (Repository repo = Repositories.open(loc, null)) {
            assertThat(repo.check(0, ProgressListener.NONE).ok()).isTrue(); // the stale lease is deleted
        }
        assertThat(locks.resolve("aaaa")).doesNotExist();
    }

    @Test
    void aWriterThatLostItsLockLeaseCommitsNothing() throws Exception {
        String loc = s3.location("repos", "lost");
        try (Repository repo = Repositories.init(loc, TestImages.options(false))) {
            byte[] img = TestImages.image(8, 4 * CHUNK);
            ImageWriter w = repo.newImage("lost", img.length, null, null, ProgressListener.NONE);
            w.write(0, java.nio.ByteBuffer.wrap(img));
            Path locks = s3.dataDir().resolve("repos/lost/locks");
            try (var l = Files.list(locks)) { // as a process on another host does with a lease it takes for expired
                for (Path p : l.toList()) Files.delete(p);
            }
            org.assertj.core.api.Assertions.assertThatThrownBy(w::commit)
                    .isInstanceOfSatisfying(
                            RepositoryException.class,
                            e -> assertThat(e.code()).isEqualTo(RepositoryException.Code.LOCKED))
                    .hasMessageContaining("was lost");
            w.close();
            assertThat(repo.snapshots()).isEmpty();
        }
    }

    @Test
    void aWriterWhoseLockIsRemovedStopsAtItsNextWrite() throws Exception {
        String loc = s3.location("repos", "lost-early");
        System.setProperty("stillpoint.lock.refreshMillis", "100");
        try (Repository repo = Repositories.init(loc, TestImages.options(false))) {
            byte[] img = TestImages.image(9, 8 * CHUNK);
            try (ImageWriter w = repo.newImage("lost", img.length, null, null, ProgressListener.NONE)) {
                w.write(0, java.nio.ByteBuffer.wrap(img, 0, 2 * CHUNK));
                Path locks = s3.dataDir().resolve("repos/lost-early/locks");
                try (var l = Files.list(locks)) { // another host took the lease for expired and removed it
                    for (Path p : l.toList()) Files.delete(p);
                }
                long deadline = System.nanoTime() + 10_000_000_000L;
                RepositoryException stopped = null;
                for (int c = 2; c < 8 && stopped == null; c = c == 7 ? 2 : c + 1) {
                    assertThat(System.nanoTime())
                            .as("the writer noticed within 10 s")
                            .isLessThan(deadline);
                    try {
                        w.write((long) c * CHUNK, java.nio.ByteBuffer.wrap(img, c * CHUNK, CHUNK));
                        Thread.sleep(20);
                    } catch (RepositoryException e) {
                        stopped = e;
                    }
                }
                assertThat(stopped.code()).isEqualTo(RepositoryException.Code.LOCKED);
                assertThat(stopped).hasMessageContaining("was lost");
                assertThat(s3.dataDir().resolve("repos/lost-early/locks")).isEmptyDirectory(); // not taken again
            }
            assertThat(repo.snapshots()).isEmpty();
        } finally {
            System.clearProperty("stillpoint.lock.refreshMillis");
        }
    }
}
