package dev.stillpoint.cli.repo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.cli.ExitCodes;
import dev.stillpoint.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Drives the repository commands through the real command line, capturing output and exit codes. */
class RepoCommandsTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
        List<Map<String, Object>> json() throws Exception {
            List<Map<String, Object>> l = new ArrayList<>();
            for (String line : out.split("\n")) if (!line.isBlank()) l.add(JSON.std.mapFrom(line));
            return l;
        }

        Map<String, Object> summary() throws Exception {
            return json().stream()
                    .filter(m -> "summary".equals(m.get("type")))
                    .findFirst()
                    .orElseThrow();
        }
    }

    Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void initBackupListRestoreCheckForgetPruneStats() throws Exception {
        Path pw = tmp.resolve("pw");
        Files.writeString(pw, "correct horse\n");
        String repo = tmp.resolve("repo").toString();
        Run init = run("repo", "init", "--repo", repo, "--password-file", pw.toString(), "--json");
        assertThat(init.code()).as(init.err()).isZero();
        assertThat(init.summary()).containsEntry("encryption", "aes-256-gcm");
        assertThat(run("repo", "init", "--repo", repo, "--password-file", pw.toString())
                        .code())
                .isEqualTo(ExitCodes.REPO_ALREADY_EXISTS);

        byte[] img = new byte[3 * (1 << 20) + 4321];
        new Random(1).nextBytes(img);
        java.util.Arrays.fill(img, 1 << 20, 2 << 20, (byte) 0);
        Path file = tmp.resolve("disk.raw");
        Files.write(file, img);
        Run b = run(
                "image",
                "backup",
                "--repo",
                repo,
                "--password-file",
                pw.toString(),
                "--name",
                "vm/vda",
                "--tag",
                "k=v",
                file.toString(),
                "--json");
        assertThat(b.code()).as(b.err()).isZero();
        Map<String, Object> s = b.summary();
        assertThat(s)
                .containsEntry("name", "vm/vda")
                .containsEntry("size", img.length)
                .containsEntry("allocatedBytes", img.length - (1 << 20));
        assertThat(b.json()).anyMatch(m -> "progress".equals(m.get("type")));
        String id = (String) s.get("id");

        Run list = run("snapshots", "--repo", repo, "--password-file", pw.toString(), "--json");
        assertThat(list.json().stream()
                        .filter(m -> "snapshot".equals(m.get("type")))
                        .map(m -> m.get("id")))
                .containsExactly(id);
        Run text = run("snapshots", "--repo", repo, "--password-file", pw.toString());
        assertThat(text.out()).contains(id.substring(0, 8)).contains("vm/vda");

        Path target = tmp.resolve("restored.raw");
        Run r = run(
                "image",
                "restore",
                id.substring(0, 6),
                "--repo",
                repo,
                "--password-file",
                pw.toString(),
                "--target",
                target.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Files.readAllBytes(target)).isEqualTo(img);
        assertThat(run(
                                "image",
                                "restore",
                                id,
                                "--repo",
                                repo,
                                "--password-file",
                                pw.toString(),
                                "--target",
                                target.toString())
                        .code())
                .isEqualTo(ExitCodes.REPO_ALREADY_EXISTS);

        Run c = run("check", "--repo", repo, "--password-file", pw.toString(), "--read-data", "--json");
        assertThat(c.code()).as(c.err()).isZero();
        long packFiles;
        try (Stream<Path> st = Files.walk(tmp.resolve("repo").resolve("data"))) {
            packFiles = st.filter(Files::isRegularFile).count();
        }
        assertThat(packFiles).isPositive(); // one pack per worker thread that wrote
        assertThat(c.summary()).containsEntry("ok", true).containsEntry("packsRead", (int) packFiles);
        assertThat(run("check", "--repo", repo, "--password-file", pw.toString(), "--read-data-subset", "50%")
                        .code())
                .isZero();

        // second, identical backup from stdin-like path dedups; forget keeps the newest per name
        assertThat(run(
                                "image",
                                "backup",
                                "--repo",
                                repo,
                                "--password-file",
                                pw.toString(),
                                "--name",
                                "vm/vda",
                                file.toString())
                        .code())
                .isZero();
        Run f = run("forget", "--repo", repo, "--password-file", pw.toString(), "--keep-last", "1", "--json");
        assertThat(f.code()).as(f.err()).isZero();
        assertThat(f.summary()).containsEntry("removed", 1).containsEntry("kept", 1);
        assertThat(run("forget", "--repo", repo, "--password-file", pw.toString())
                        .code())
                .isEqualTo(ExitCodes.USAGE);
        Run p = run("prune", "--repo", repo, "--password-file", pw.toString(), "--json");
        assertThat(p.code()).as(p.err()).isZero();
        Run st = run("stats", "--repo", repo, "--password-file", pw.toString(), "--json");
        assertThat(st.summary()).containsEntry("snapshots", 1).containsEntry("allocatedBytes", img.length - (1 << 20));
    }

    @Test
    void compressionLevelIsChosenAtInitAndCheckedByName() throws Exception {
        String repo = tmp.resolve("repo").toString();
        Run bad = run("repo", "init", "--repo", repo, "--encryption", "none", "--compression-level", "0");
        assertThat(bad.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains("--compression-level").contains("0");
        assertThat(Files.exists(tmp.resolve("repo").resolve("config"))).isFalse();
        Run ok = run("repo", "init", "--repo", repo, "--encryption", "none", "--compression-level", "9", "--json");
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.summary()).containsEntry("compressionLevel", 9).containsEntry("idHash", "blake3");
        assertThat(JSON.std.mapFrom(Files.readString(tmp.resolve("repo").resolve("config"))))
                .containsEntry("compressionLevel", 9)
                .containsEntry("idHash", "blake3")
                .containsEntry("version", 3);
    }

    @Test
    void sparseFileIsReadOnlyWhereItHasDataAndRestoresExactly() throws Exception {
        String repo = tmp.resolve("repo").toString();
        assertThat(run("repo", "init", "--repo", repo, "--encryption", "none").code())
                .isZero();
        int mib = 1 << 20;
        long size = 9L * mib + 777; // the tail chunk is short and ends in a hole
        Path file = tmp.resolve("sparse.raw");
        Random rnd = new Random(5);
        byte[] expect = new byte[(int) size];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.truncate(0);
            // data regions that start and end inside chunks, a whole data chunk, holes between
            long[][] regions = {
                {100, 5000}, {mib + 4096, 8192}, {3L * mib, mib}, {5L * mib - 300, 600}, {8L * mib + 12345, 4096}
            };
            for (long[] r : regions) {
                byte[] d = new byte[(int) r[1]];
                rnd.nextBytes(d);
                System.arraycopy(d, 0, expect, (int) r[0], d.length);
                ch.write(java.nio.ByteBuffer.wrap(d), r[0]);
            }
            // an allocated but all-zero range is still a hole in the snapshot
            ch.write(java.nio.ByteBuffer.wrap(new byte[mib]), 6L * mib);
            ch.write(java.nio.ByteBuffer.wrap(new byte[1]), size - 1); // sets the size; the byte is zero
        }
        Run b = run("image", "backup", "--repo", repo, "--name", "sparse", file.toString(), "--json");
        assertThat(b.code()).as(b.err()).isZero();
        // chunks 0, 1, 3, 4, 5 and 8 hold data; 2, 6, 7 and the tail chunk 9 are holes
        assertThat(b.summary()).containsEntry("size", (int) size).containsEntry("allocatedBytes", 6 * mib);
        Path target = tmp.resolve("back.raw");
        Run r = run("image", "restore", (String) b.summary().get("id"), "--repo", repo, "--target", target.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Files.readAllBytes(target)).isEqualTo(expect);

        // the restore writes a hidden partial file and renames it: one killed earlier left its
        // partial file (replaced now); one writing at the same moment holds it (exit 13, untouched)
        String id = (String) b.summary().get("id");
        Path other = tmp.resolve("other.raw");
        Path partial = tmp.resolve(".other.raw.stillpoint-partial");
        Files.write(partial, new byte[] {1, 2, 3});
        try (FileChannel held = FileChannel.open(partial, StandardOpenOption.WRITE);
                var lock = held.lock()) {
            Run busy = run("image", "restore", id, "--repo", repo, "--target", other.toString());
            assertThat(busy.code()).as(busy.err()).isEqualTo(13);
            assertThat(busy.err()).contains("another restore is writing").contains(other.toString());
            assertThat(partial).hasBinaryContent(new byte[] {1, 2, 3});
        }
        Run again = run("image", "restore", id, "--repo", repo, "--target", other.toString());
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(Files.readAllBytes(other)).isEqualTo(expect);
        assertThat(partial).doesNotExist();
        assertThat(run("image", "restore", id, "--repo", repo, "--target", other.toString())
                        .code())
                .isEqualTo(15);
        Run noDir = run(
                "image",
                "restore",
                id,
                "--repo",
                repo,
                "--target",
                tmp.resolve("no/such/dir.raw").toString());
        assertThat(noDir.code()).isEqualTo(2);
        assertThat(noDir.err()).contains("--target").contains(tmp.resolve("no/such") + " does not exist");
        Files.write(other, new byte[] {9});
        Run forced = run("image", "restore", id, "--repo", repo, "--target", other.toString(), "--force");
        assertThat(forced.code()).as(forced.err()).isZero();
        assertThat(Files.readAllBytes(other)).isEqualTo(expect);
    }

    /** A lock object as another host would have written it, expiring {@code expires}. */
    static void foreignLock(Path repo, String name, boolean exclusive, java.time.Instant expires) throws Exception {
        Files.writeString(
                repo.resolve("locks").resolve(name),
                JSON.std.asString(Map.of(
                        "exclusive",
                        exclusive,
                        "host",
                        "another-host",
                        "pid",
                        4242,
                        "created",
                        expires.minusSeconds(300).toString(),
                        "expires",
                        expires.toString())));
    }

    @Test
    void unlockRemovesStaleLocksAndWithRemoveAllTheLeaseOfAHostThatDied() throws Exception {
        Path repo = tmp.resolve("repo");
        assertThat(run("repo", "init", "--repo", repo.toString(), "--encryption", "none")
                        .code())
                .isZero();
        java.time.Instant now = java.time.Instant.now();
        foreignLock(repo, "aaaa", false, now.plusSeconds(240)); // a live lease of another host's backup
        foreignLock(repo, "bbbb", true, now.minusSeconds(10)); // an expired one
        Run locked = run("prune", "--repo", repo.toString());
        assertThat(locked.code()).as(locked.err()).isEqualTo(13);
        assertThat(locked.err()).contains("another-host");

        Run stale = run("repo", "unlock", "--repo", repo.toString(), "--json");
        assertThat(stale.code()).as(stale.err()).isZero();
        assertThat(stale.summary()).containsEntry("removed", 1).containsEntry("removeAll", false);
        assertThat(stale.json().get(0))
                .containsEntry("type", "lock")
                .containsEntry("stale", true)
                .containsEntry("exclusive", true)
                .containsEntry("host", "another-host");
        assertThat(repo.resolve("locks/bbbb")).doesNotExist();
        assertThat(repo.resolve("locks/aaaa")).exists();
        assertThat(run("prune", "--repo", repo.toString()).code()).isEqualTo(13); // the live lease stays

        Run all = run("repo", "unlock", "--repo", repo.toString(), "--remove-all");
        assertThat(all.code()).as(all.err()).isZero();
        assertThat(all.out())
                .contains("removed shared lock of pid 4242 on another-host")
                .contains("1 lock removed");
        Run pruned = run("prune", "--repo", repo.toString());
        assertThat(pruned.code()).as(pruned.err()).isZero();
        assertThat(run("repo", "unlock", "--repo", repo.toString()).out()).contains("0 locks removed");
    }

    @Test
    void damageGivesExitCodeAndNamesChunkAndSnapshot() throws Exception {
        String repo = tmp.resolve("repo").toString();
        assertThat(run("repo", "init", "--repo", repo, "--encryption", "none").code())
                .isZero();
        byte[] img = new byte[2 << 20];
        new Random(2).nextBytes(img);
        Path file = tmp.resolve("disk.raw");
        Files.write(file, img);
        Run b = run("image", "backup", "--repo", repo, "--name", "x", file.toString(), "--json");
        String id = (String) b.summary().get("id");
        Path pack;
        try (Stream<Path> st = Files.walk(tmp.resolve("repo").resolve("data"))) {
            pack = st.filter(Files::isRegularFile).findFirst().orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(pack, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), 1000);
        }
        Run c = run("check", "--repo", repo, "--read-data", "--json");
        assertThat(c.code()).isEqualTo(ExitCodes.REPO_CORRUPT);
        assertThat(c.json())
                .anyMatch(m -> "damagedChunk".equals(m.get("type")) && ((List<?>) m.get("snapshots")).contains(id));
        assertThat(c.summary()).containsEntry("ok", false);
        assertThat(c.err()).contains("check found");
        Path target = tmp.resolve("out.raw");
        Run r = run("image", "restore", id, "--repo", repo, "--target", target.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.REPO_CORRUPT);
        assertThat(r.err()).contains("chunk");
        assertThat(target).doesNotExist();
    }

    @Test
    void missingRepoAndBadArguments() {
        assertThat(run("snapshots", "--repo", tmp.resolve("none").toString()).code())
                .isEqualTo(ExitCodes.REPO_NOT_FOUND);
        assertThat(run("repo", "init", "--repo", tmp.resolve("x").toString(), "--encryption", "rot13")
                        .code())
                .isEqualTo(ExitCodes.USAGE);
        assertThat(run("image", "backup", "--repo", tmp.toString()).code()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void passwdChangesThePassphraseAndTheOldOneNoLongerOpens() throws Exception {
        Path pw = tmp.resolve("pw"), next = tmp.resolve("next"), wrong = tmp.resolve("wrong");
        Files.writeString(pw, "correct horse\n");
        Files.writeString(next, "battery staple\n");
        Files.writeString(wrong, "not it\n");
        String repo = tmp.resolve("repo").toString();
        assertThat(run("repo", "init", "--repo", repo, "--password-file", pw.toString())
                        .code())
                .isZero();
        Path img = tmp.resolve("img.raw");
        byte[] data = new byte[(1 << 20) + 17];
        new Random(5).nextBytes(data);
        Files.write(img, data);
        assertThat(run(
                                "image",
                                "backup",
                                "--repo",
                                repo,
                                "--password-file",
                                pw.toString(),
                                "--name",
                                "a",
                                img.toString())
                        .code())
                .isZero();

        Run bad = run(
                "repo",
                "passwd",
                "--repo",
                repo,
                "--password-file",
                wrong.toString(),
                "--new-password-file",
                next.toString());
        assertThat(bad.code()).isEqualTo(ExitCodes.REPO_WRONG_PASSWORD);
        assertThat(bad.err()).contains("wrong passphrase");

        Run ok = run(
                "repo",
                "passwd",
                "--repo",
                repo,
                "--password-file",
                pw.toString(),
                "--new-password-file",
                next.toString(),
                "--json");
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.summary()).containsEntry("changed", true);
        assertThat(run("snapshots", "--repo", repo, "--password-file", pw.toString())
                        .code())
                .isEqualTo(ExitCodes.REPO_WRONG_PASSWORD);
        Path out = tmp.resolve("out.raw");
        Run snaps = run("snapshots", "--repo", repo, "--password-file", next.toString(), "--json");
        assertThat(snaps.code()).as(snaps.err()).isZero();
        String id = (String) snaps.json().stream()
                .filter(m -> "snapshot".equals(m.get("type")))
                .findFirst()
                .orElseThrow()
                .get("id");
        assertThat(run(
                                "image",
                                "restore",
                                id,
                                "--repo",
                                repo,
                                "--password-file",
                                next.toString(),
                                "--target",
                                out.toString())
                        .code())
                .isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(data);

        String plain = tmp.resolve("plain").toString();
        assertThat(run("repo", "init", "--repo", plain, "--encryption", "none").code())
                .isZero();
        Run none = run("repo", "passwd", "--repo", plain, "--new-password-file", next.toString());
        assertThat(none.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(none.err()).contains("not encrypted");
    }
}
