package dev.stillpoint.cli.repo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.cli.ExitCodes;
import dev.stillpoint.cli.repo.ChildCli.Run;
import dev.stillpoint.testkit.FaultProxy;
import dev.stillpoint.testkit.S3Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository commands against a real S3 server (s3proxy, its own process), each command a
 * separate {@code stillpoint} JVM with the repository in {@code $STILLPOINT_REPOSITORY}: init,
 * image backup and restore (byte-equal), check --read-data, forget, prune; SIGKILL during an
 * image backup; two writers and a check from separate processes at once; an append-only key
 * (prune exits 18) and a failing server (exit 19) through {@link FaultProxy}; and the exit codes
 * of refused credentials, a missing bucket and a bad URL.
 */
class S3RepoCommandsIT {
    @TempDir
    static Path work;

    static S3Proxy s3;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3Proxy.start(work.resolve("s3"));
        s3.createBucket("backups");
    }

    @AfterAll
    static void stop() throws Exception {
        if (s3 != null) s3.close();
    }

    static ProcessBuilder cli(Map<String, String> env, String... args) {
        Map<String, String> all = new HashMap<>(Map.of("STILLPOINT_PASSWORD", "s3 secret"));
        all.putAll(env);
        return ChildCli.process(s3, work, all, args);
    }

    static Run run(Map<String, String> env, String... args) throws Exception {
        return ChildCli.run(work, cli(env, args));
    }

    static String summaryId(Run r) throws Exception {
        return (String) ChildCli.summary(r).get("id");
    }

    static byte[] image(long seed, int mib) {
        byte[] img = new byte[mib << 20];
        new Random(seed).nextBytes(img);
        java.util.Arrays.fill(img, 1 << 20, 3 << 20, (byte) 0); // a hole
        return img;
    }

    @Test
    void initBackupRestoreCheckPruneInABucket() throws Exception {
        Map<String, String> env = Map.of("STILLPOINT_REPOSITORY", s3.location("backups", "hosts/one"));
        Run init = run(env, "repo", "init", "--json");
        assertThat(init.code()).as(init.err()).isZero();
        assertThat(init.out()).contains("s3:http://127.0.0.1");
        byte[] img = image(1, 24);
        Path file = Files.write(work.resolve("disk.raw"), img);
        Run b1 = run(env, "image", "backup", "--name", "vm/vda", file.toString(), "--json");
        assertThat(b1.code()).as(b1.err()).isZero();
        String id1 = summaryId(b1);
        for (int i = 8 << 20; i < 9 << 20; i++) img[i] ^= 1;
        Files.write(file, img);
        Run b2 = run(env, "image", "backup", "--name", "vm/vda", file.toString(), "--json");
        assertThat(b2.code()).as(b2.err()).isZero();
        String id2 = summaryId(b2);

        Run list = run(env, "snapshots");
        assertThat(list.out()).contains(id1.substring(0, 8)).contains(id2.substring(0, 8));
        Path target = work.resolve("restored.raw");
        Run r = run(env, "image", "restore", id2.substring(0, 8), "--target", target.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Files.readAllBytes(target)).isEqualTo(img);
        Run check = run(env, "check", "--read-data");
        assertThat(check.code()).as(check.out() + check.err()).isZero();
        assertThat(run(env, "forget", "--keep-last", "1").code()).isZero();
        Run prune = run(env, "prune");
        assertThat(prune.code()).as(prune.err()).isZero();
        assertThat(run(env, "check", "--read-data").code()).isZero();
        Files.delete(target);
        assertThat(run(env, "image", "restore", id2, "--target", target.toString())
                        .code())
                .isZero();
        assertThat(Files.readAllBytes(target)).isEqualTo(img);
    }

    @Test
    void aKilledImageBackupLeavesARepositoryThatChecksCleanAndARerunCompletes() throws Exception {
        Map<String, String> env = Map.of("STILLPOINT_REPOSITORY", s3.location("backups", "killed"));
        assertThat(run(env, "repo", "init").code()).isZero();
        byte[] img = image(2, 384);
        Path file = Files.write(work.resolve("big.raw"), img);
        Process p = cli(env, "image", "backup", "--name", "big", file.toString(), "--json")
                .redirectOutput(work.resolve("killed.out").toFile())
                .redirectError(work.resolve("killed.err").toFile())
                .start();
        // killed once its first pack is in the bucket (progress lines come once a second: a
        // backup into s3proxy can end before the third)
        Path packs = s3.dataDir().resolve("backups/killed/data");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (p.isAlive() && System.nanoTime() < deadline && !hasPack(packs)) Thread.sleep(5);
        assertThat(p.isAlive())
                .as(
                        "the backup still running after its first pack; stderr: %s",
                        Files.readString(work.resolve("killed.err")))
                .isTrue();
        p.toHandle().destroyForcibly(); // SIGKILL
        p.waitFor();
        // the packs it was filling and sending were in unlinked temp files: nothing is left behind
        assertThat(ChildCli.tmpFiles(work)).as("the killed backup's temp files").isEmpty();
        // its lease is still in the bucket: `repo unlock` finds it stale (this host, its pid gone) and removes it
        Run unlock = run(env, "repo", "unlock", "--json");
        assertThat(unlock.code()).as(unlock.err()).isZero();
        assertThat(ChildCli.summary(unlock)).containsEntry("removed", 1);
        assertThat(unlock.out()).contains("\"stale\":true").contains("\"pid\":" + p.pid());
        Run check = run(env, "check", "--read-data");
        assertThat(check.code()).as(check.out() + check.err()).isZero();
        Run again = run(env, "image", "backup", "--name", "big", file.toString(), "--json");
        assertThat(again.code()).as(again.err()).isZero();
        Path target = work.resolve("big.restored");
        Path partial = work.resolve(".big.restored.stillpoint-partial");
        // a restore killed once it has written data: no file under the target's name (it would look
        // complete), and the packs it fetched were unlinked temp files
        Process r = cli(env, "image", "restore", summaryId(again), "--target", target.toString())
                .redirectOutput(work.resolve("killed-restore.out").toFile())
                .redirectError(work.resolve("killed-restore.err").toFile())
                .start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (r.isAlive() && System.nanoTime() < until && (!Files.exists(partial) || Files.size(partial) == 0))
            Thread.sleep(5);
        assertThat(r.isAlive())
                .as(
                        "the restore still running with data written; stderr: %s",
                        Files.readString(work.resolve("killed-restore.err")))
                .isTrue();
        r.toHandle().destroyForcibly(); // SIGKILL
        r.waitFor();
        assertThat(target).as("a killed restore's target").doesNotExist();
        assertThat(ChildCli.tmpFiles(work))
                .as("the killed restore's temp files")
                .isEmpty();
        Run restored = run(env, "image", "restore", summaryId(again), "--target", target.toString());
        assertThat(restored.code()).as(restored.err()).isZero();
        assertThat(partial)
                .as("the killed restore's partial file, replaced and renamed")
                .doesNotExist();
        assertThat(Files.mismatch(file, target)).isEqualTo(-1);
        assertThat(run(env, "prune").code()).isZero();
        assertThat(run(env, "check", "--read-data").code()).isZero();
    }

    /** True when a pack object ({@code data/xx/<64 hex>}) is under {@code dir} of the server's filesystem store. */
    private static boolean hasPack(Path dir) throws java.io.IOException {
        if (!Files.isDirectory(dir)) return false;
        try (var s = Files.walk(dir)) {
            return s.anyMatch(f -> f.getFileName().toString().matches("[0-9a-f]{64}") && Files.isRegularFile(f));
        } catch (java.io.UncheckedIOException | java.nio.file.NoSuchFileException e) {
            return false; // a directory created or renamed meanwhile: look again
        }
    }

    @Test
    void wrongCredentialsMissingBucketAndBadUrlHaveTheirExitCodes() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("STILLPOINT_REPOSITORY", s3.location("backups", "errors"));
        assertThat(run(env, "repo", "init").code()).isZero();

        env.put("AWS_SECRET_ACCESS_KEY", "wrong");
        Run creds = run(env, "snapshots");
        assertThat(creds.code()).isEqualTo(ExitCodes.REPO_ACCESS_DENIED);
        assertThat(creds.err()).contains("credentials").contains("config");

        Run bucket = run(Map.of("STILLPOINT_REPOSITORY", s3.location("missing-bucket", "x")), "snapshots");
        assertThat(bucket.code()).isEqualTo(ExitCodes.REPO_NOT_FOUND);
        assertThat(bucket.err()).contains("bucket missing-bucket does not exist");

        Run url = run(Map.of(), "snapshots", "--repo", "s3:http://127.0.0.1:1");
        assertThat(url.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(url.err()).contains("not a valid S3 location");

        Run empty = run(Map.of("STILLPOINT_REPOSITORY", s3.location("backups", "nothing-here")), "snapshots");
        assertThat(empty.code()).isEqualTo(ExitCodes.REPO_NOT_FOUND);
        assertThat(empty.err()).contains("no repository at s3:");
    }

    @Test
    void twoWritersFromSeparateProcessesAndACheckAtTheSameTime() throws Exception {
        Map<String, String> env = Map.of("STILLPOINT_REPOSITORY", s3.location("backups", "shared"));
        assertThat(run(env, "repo", "init").code()).isZero();
        byte[] a = image(11, 24), b = image(12, 24);
        Path fa = Files.write(work.resolve("a.raw"), a), fb = Files.write(work.resolve("b.raw"), b);
        List<Process> ps = new ArrayList<>();
        List<Path> outs = new ArrayList<>();
        String[][] cmds = {
            {"image", "backup", "--name", "host-a/vda", fa.toString(), "--json"},
            {"image", "backup", "--name", "host-b/vda", fb.toString(), "--json"},
            {"check"}
        };
        for (String[] cmd : cmds) {
            Path out = Files.createTempFile(work, "conc", ".out");
            outs.add(out);
            ps.add(cli(env, cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start());
        }
        for (int i = 0; i < ps.size(); i++) {
            assertThat(ps.get(i).waitFor(5, TimeUnit.MINUTES)).isTrue();
            assertThat(ps.get(i).exitValue())
                    .as("%s: %s", String.join(" ", cmds[i]), Files.readString(outs.get(i)))
                    .isZero();
        }
        Run check = run(env, "check", "--read-data");
        assertThat(check.code()).as(check.out() + check.err()).isZero();
        Run list = run(env, "snapshots", "--json");
        assertThat(list.out()).contains("host-a/vda").contains("host-b/vda");
        for (String name : List.of("host-a/vda", "host-b/vda")) {
            String id = null;
            for (String line : list.out().split("\n"))
                if (line.contains(name)) id = (String) JSON.std.mapFrom(line).get("id");
            Path target = work.resolve(name.replace('/', '-') + ".restored");
            assertThat(run(env, "image", "restore", id, "--target", target.toString())
                            .code())
                    .isZero();
            assertThat(Files.readAllBytes(target)).isEqualTo(name.startsWith("host-a") ? a : b);
        }
    }

    @Test
    void anAppendOnlyKeyBacksUpPruneExits18AndAFailingServerExits19() throws Exception {
        try (FaultProxy proxy = FaultProxy.start(s3)) {
            Map<String, String> env = new HashMap<>();
            env.put("STILLPOINT_REPOSITORY", proxy.location("backups", "append-only"));
            env.put("JAVA_TOOL_OPTIONS", "-Dstillpoint.s3.attempts=3 -Dstillpoint.s3.backoffMillis=20");
            assertThat(run(env, "repo", "init").code()).isZero();
            byte[] img = image(13, 8);
            Path file = Files.write(work.resolve("ao.raw"), img);
            assertThat(run(env, "image", "backup", "--name", "vm/vda", file.toString())
                            .code())
                    .isZero();

            proxy.rule(FaultProxy.appendOnly(s3));
            for (int i = 0; i < 3; i++) {
                img[i << 20] ^= 1;
                Files.write(file, img);
                Run b = run(env, "image", "backup", "--name", "vm/vda", file.toString(), "--json");
                assertThat(b.code()).as(b.err()).isZero();
            }
            Run prune = run(env, "prune");
            assertThat(prune.code()).as(prune.err()).isEqualTo(ExitCodes.REPO_ACCESS_DENIED);
            assertThat(prune.err())
                    .contains("prune cannot run with these credentials")
                    .contains("refuses deletes");
            Run forget = run(env, "forget", "--keep-last", "1");
            assertThat(forget.code()).as(forget.err()).isEqualTo(ExitCodes.REPO_ACCESS_DENIED);
            assertThat(run(env, "snapshots", "--json")
                            .out()
                            .lines()
                            .filter(l -> l.contains("\"snapshot\""))
                            .count())
                    .isEqualTo(4);

            proxy.rule(
                    r -> r.key().endsWith("/config") ? FaultProxy.Fault.error(503, "SlowDown") : FaultProxy.Fault.PASS);
            Run down = run(env, "snapshots");
            assertThat(down.code()).as(down.err()).isEqualTo(ExitCodes.REPO_UNAVAILABLE);
            assertThat(down.err())
                    .contains("GET config failed after 3 attempts")
                    .contains("503");

            proxy.rule(r -> FaultProxy.Fault.PASS);
            assertThat(run(env, "forget", "--keep-last", "1").code()).isZero();
            assertThat(run(env, "prune").code()).isZero();
            assertThat(run(env, "check", "--read-data").code()).isZero();
        }
    }
}
