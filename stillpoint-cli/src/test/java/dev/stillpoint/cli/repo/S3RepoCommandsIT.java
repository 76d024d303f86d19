package dev.stillpoint.cli.repo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.cli.ExitCodes;
import dev.stillpoint.cli.repo.ChildCli.Run;
import dev.stillpoint.testkit.S3Proxy;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository commands against a real S3 server (s3proxy, its own process), each command a
 * separate {@code stillpoint} JVM with the repository in {@code $STILLPOINT_REPOSITORY}: init,
 * image backup and restore (byte-equal), check --read-data, forget, prune; SIGKILL during an
 * image backup; and the exit codes of refused credentials, a missing bucket and a bad URL.
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
        byte[] img = image(2, 192);
        Path file = Files.write(work.resolve("big.raw"), img);
        Process p = cli(env, "image", "backup", "--name", "big", file.toString(), "--json")
                .redirectError(work.resolve("killed.err").toFile())
                .start();
        try (BufferedReader rd =
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            int progress = 0;
            while ((line = rd.readLine()) != null && !(line.contains("\"progress\"") && ++progress >= 3)) {
                // past the first packs
            }
            assertThat(line)
                    .as("progress before the end; stderr: %s", Files.readString(work.resolve("killed.err")))
                    .isNotNull();
            p.toHandle().destroyForcibly(); // SIGKILL
            p.waitFor();
        }
        Run check = run(env, "check", "--read-data");
        assertThat(check.code()).as(check.out() + check.err()).isZero();
        Run again = run(env, "image", "backup", "--name", "big", file.toString(), "--json");
        assertThat(again.code()).as(again.err()).isZero();
        Path target = work.resolve("big.restored");
        assertThat(run(env, "image", "restore", summaryId(again), "--target", target.toString())
                        .code())
                .isZero();
        assertThat(Files.mismatch(file, target)).isEqualTo(-1);
        assertThat(run(env, "prune").code()).isZero();
        assertThat(run(env, "check", "--read-data").code()).isZero();
    }

    @Test
    void wrongCredentialsMissingBucketAndBadUrlHaveTheirExitCodes() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("STILLPOINT_REPOSITORY", s3.location("backups", "errors"));
        assertThat(run(env, "repo", "init").code()).isZero();

        env.put("AWS_SECRET_ACCESS_KEY", "wrong");
        Run creds = run(env, "snapshots");
        assertThat(creds.code()).isEqualTo(ExitCodes.REPO_WRONG_PASSWORD);
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
}
