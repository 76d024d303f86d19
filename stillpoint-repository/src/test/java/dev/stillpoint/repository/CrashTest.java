package dev.stillpoint.repository;

import static dev.stillpoint.repository.TestImages.CHUNK;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGKILL a child JVM at random points of backup / forget / prune, then verify everything. */
class CrashTest {
    @TempDir
    Path tmp;

    static final char[] PW = "repo-secret".toCharArray();

    @Test
    void killDuringBackupAndPruneLosesNothingCommitted() throws Exception {
        Path dir = tmp.resolve("repo");
        byte[] base0 = TestImages.image(9001, 10 * CHUNK + 5);
        byte[] base1 = TestImages.image(9002, 7 * CHUNK);
        String id0, id1;
        try (Repository repo = Repositories.init(dir, TestImages.options(true))) {
            id0 = TestImages.backup(repo, "base0", base0).id();
            id1 = TestImages.backup(repo, "base1", base1).id();
        }
        long seedBase = System.nanoTime();
        Random rnd = new Random(seedBase);
        int kills = 0;
        int committedRounds = 0;
        for (int round = 0; round < 12 && (kills < 5 || committedRounds < 2); round++) {
            long seed = round + 1;
            Files.deleteIfExists(dir.resolveSibling("child.out"));
            Process child = spawn(dir, seed);
            awaitOpened(child, dir.resolveSibling("child.out"));
            long delay = rnd.nextInt(1500);
            boolean exited = child.waitFor(delay, TimeUnit.MILLISECONDS);
            assertThat(exited)
                    .as(
                            "child must still run when killed (seedBase %d): %s",
                            seedBase, exited ? Files.readString(dir.resolveSibling("child.err")) : "")
                    .isFalse();
            child.destroyForcibly(); // SIGKILL
            child.waitFor();
            kills++;
            String out = Files.readString(dir.resolveSibling("child.out"));
            if (out.contains("committed")) committedRounds++;
            System.out.println("CrashTest round " + round + " killed " + delay + " ms after open; child output: "
                    + out.replace('\n', ' '));
            verify(
                    dir,
                    id0,
                    base0,
                    id1,
                    base1,
                    "round " + round + " after " + delay + " ms, child said: "
                            + out.lines().reduce((a, b) -> b).orElse("nothing"));
        }
        assertThat(kills).isGreaterThanOrEqualTo(5);
        assertThat(committedRounds)
                .as("some children must get past a commit before being killed")
                .isGreaterThanOrEqualTo(2);
        // a new backup works, and prune removes every orphan
        try (Repository repo = Repositories.open(dir, PW)) {
            byte[] img = TestImages.image(77, 5 * CHUNK);
            SnapshotInfo s = TestImages.backup(repo, "after", img);
            repo.prune(ProgressListener.NONE);
            CheckReport r = repo.check(100, ProgressListener.NONE);
            assertThat(r.ok()).isTrue();
            assertThat(r.warnings()).as("no orphans after prune").isEmpty();
            assertThat(TestImages.readAll(repo, s.id())).isEqualTo(img);
            assertThat(allIndexedChunksUsed(dir)).isTrue();
            try (Stream<Path> t = Files.list(dir.resolve("tmp"))) {
                assertThat(t.count()).isZero();
            }
        }
    }

    private static void verify(Path dir, String id0, byte[] base0, String id1, byte[] base1, String ctx)
            throws Exception {
        try (Repository repo = Repositories.open(dir, PW)) {
            CheckReport r = repo.check(100, ProgressListener.NONE);
            assertThat(r.errors()).as(ctx).isEmpty();
            assertThat(r.damagedChunks()).as(ctx).isEmpty();
            assertThat(TestImages.readAll(repo, id0)).as(ctx).isEqualTo(base0);
            assertThat(TestImages.readAll(repo, id1)).as(ctx).isEqualTo(base1);
            for (SnapshotInfo s : repo.snapshots()) {
                if (!s.name().equals("child")) continue;
                long seed = Long.parseLong(s.tags().get("seed"));
                int iter = Integer.parseInt(s.tags().get("iter"));
                assertThat(TestImages.restore(repo, s.id(), dir.resolveSibling("restored")))
                        .as(ctx + " " + s)
                        .isEqualTo(TestImages.image(seed * 1000 + iter, 24 * CHUNK + iter));
            }
        }
    }

    private static boolean allIndexedChunksUsed(Path dir) throws Exception {
        FileRepository fr = FileRepository.open(dir, PW);
        try {
            Set<ChunkId> used = new HashSet<>();
            for (String id : fr.snapshotIds()) {
                Manifest m = fr.loadManifest(id);
                for (int c = 0; c < m.count(); c++) if (m.chunk(c) != null) used.add(m.chunk(c));
            }
            for (ChunkIndex.PackInfo p : fr.index().packs().values())
                for (PackEntry e : p.entries()) if (!used.contains(e.id())) return false;
            return true;
        } finally {
            fr.close();
        }
    }

    private static void awaitOpened(Process child, Path out) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (Files.exists(out) && Files.readString(out).contains("opened")) return;
            if (!child.isAlive())
                throw new AssertionError("child exited before opening the repository: "
                        + Files.readString(out.resolveSibling("child.err")));
            Thread.sleep(20);
        }
        child.destroyForcibly();
        throw new AssertionError("child did not open the repository within 60 s");
    }

    static Process spawn(Path dir, long seed) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(
                ChildJvm.command(List.of("-Xmx128m"), CrashChild.class, dir.toString(), String.valueOf(seed)));
        pb.redirectError(dir.resolveSibling("child.err").toFile());
        pb.redirectOutput(dir.resolveSibling("child.out").toFile());
        return pb.start();
    }
}
