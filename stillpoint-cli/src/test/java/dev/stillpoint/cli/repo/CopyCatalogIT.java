package dev.stillpoint.cli.repo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.cli.backup.StaticConnectorProvider;
import dev.stillpoint.cli.backup.VmCommandsIT;
import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.RepositoryOptions;
import dev.stillpoint.testkit.HostPrograms;
import dev.stillpoint.testkit.S3Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code copy} and {@code catalog rebuild} with real programs: VM backups (a shut-off domain read
 * through qemu-nbd) copied local to local and local to a real S3 server (s3proxy, its own
 * process) under other keys; a second copy sends nothing; a "new host" (empty catalog) rebuilds
 * the catalog from the bucket alone, lists the same backups and restores the same bytes and
 * domain; a copy killed with SIGKILL leaves a target that checks clean, and a rerun completes.
 */
class CopyCatalogIT {
    @TempDir
    static Path work;

    static S3Proxy s3;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3Proxy.start(work.resolve("s3"));
        s3.createBucket("copies");
        s3.useInThisJvm();
        System.setProperty("stillpoint.connector", StaticConnectorProvider.class.getName());
    }

    @AfterAll
    static void stop() throws Exception {
        System.clearProperty("stillpoint.connector");
        StaticConnectorProvider.DOMAINS.clear();
        if (s3 != null) s3.close();
    }

    static VmCommandsIT.Run cli(String... args) {
        return VmCommandsIT.cli(args);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> backupsJson(String repo, String pw, Path catalog) throws Exception {
        VmCommandsIT.Run r =
                cli("backups", "--repo", repo, "--password-file", pw, "--catalog", catalog.toString(), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> l : r.lines()) {
            if (!"backup".equals(l.get("type"))) continue;
            Map<String, Object> m = new java.util.LinkedHashMap<>(l);
            // snapshot ids differ in the copy (another key); everything else is the same backup
            if (m.get("disks") instanceof List<?> disks)
                m.put(
                        "disks",
                        disks.stream()
                                .map(d -> {
                                    Map<String, Object> dm = new java.util.LinkedHashMap<>((Map<String, Object>) d);
                                    dm.remove("snapshotId");
                                    dm.remove("parentSnapshot");
                                    return dm;
                                })
                                .toList());
            out.add(m);
        }
        return out;
    }

    /** A new encrypted repository at {@code location} (a directory or an s3: URL), with a cheap key derivation. */
    static void init(String location, String passphrase) throws Exception {
        Repositories.init(
                        location,
                        RepositoryOptions.encrypted(passphrase.toCharArray()).withKdf(64, 1))
                .close();
    }

    /** {@code copy --from a --from-password-file pa --to b --to-password-file pb} and {@code more}. */
    static String[] copyAtoB(String a, String pa, String b, String pb, String... more) {
        List<String> args = new ArrayList<>(
                List.of("copy", "--from", a, "--from-password-file", pa, "--to", b, "--to-password-file", pb));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @Test
    void vmBackupsCopiedToS3AreRestoredOnANewHostFromTheBucketAlone() throws Exception {
        HostPrograms.require("qemu-img", "qemu-nbd", "qemu-io");
        Path image = work.resolve("sp-copy-vda.qcow2");
        HostPrograms.qcow2(image, "32M", "write -P 0x41 1M 4M", "write -P 0x42 20M 3M");
        StaticConnectorProvider.DOMAINS.put(
                "sp-copy",
                new StaticConnectorProvider.ShutOffDomain(
                        "sp-copy", List.of(new VmDisk("vda", image.toString(), "qcow2", null))));
        String pa = Files.writeString(work.resolve("pa"), "password a\n").toString();
        String pb = Files.writeString(work.resolve("pb"), "password b\n").toString();
        String a = work.resolve("a").toString();
        init(a, "password a");
        String b = s3.location("copies", "host-b");
        init(b, "password b");

        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            if (i == 1) HostPrograms.qemuIo(image, "write -P 0x43 8M 1M");
            VmCommandsIT.Run backup = cli(
                    "backup",
                    "sp-copy",
                    "--repo",
                    a,
                    "--password-file",
                    pa,
                    "--json",
                    "--work-dir",
                    work.resolve("w").toString());
            assertThat(backup.code()).as(backup.err()).isZero();
            ids.add((String) backup.last().get("backupId"));
        }

        VmCommandsIT.Run copy = cli(copyAtoB(a, pa, b, pb, "--all", "--json"));
        assertThat(copy.code()).as(copy.err()).isZero();
        assertThat(copy.lines()).anySatisfy(l -> assertThat(l).containsEntry("type", "progress"));
        Map<String, Object> sum = copy.last();
        assertThat(sum)
                .containsEntry("type", "summary")
                .containsEntry("snapshotsCopied", 2)
                .containsEntry("recordsCopied", 2)
                .containsEntry("sameChunkIds", false);
        // distinct 1 MiB chunks: 0x41..., 0x42... (each run of equal chunks is one) and the second backup's 0x43...
        assertThat(((Number) sum.get("chunkBytesSent")).longValue()).isEqualTo(3L << 20);

        VmCommandsIT.Run again = cli(copyAtoB(a, pa, b, pb, "--all", "--json"));
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.last())
                .containsEntry("snapshotsCopied", 0)
                .containsEntry("snapshotsSkipped", 2)
                .containsEntry("recordsCopied", 0)
                .containsEntry("chunksSent", 0)
                .containsEntry("bytesSent", 0);

        // exit codes (docs/scripting.md, copy): wrong passphrase 11, no such backup 10, the same repository 2
        Path wrong = Files.writeString(work.resolve("wrong"), "not it\n");
        assertThat(cli(
                                "copy",
                                "--from",
                                a,
                                "--from-password-file",
                                wrong.toString(),
                                "--to",
                                b,
                                "--to-password-file",
                                pb,
                                "--all")
                        .code())
                .isEqualTo(11);
        VmCommandsIT.Run unknown = cli(copyAtoB(a, pa, b, pb, "abcdef12"));
        assertThat(unknown.code()).isEqualTo(10);
        assertThat(unknown.err()).contains("abcdef12");
        assertThat(cli("copy", "--from", a, "--from-password-file", pa, "--to", a, "--to-password-file", pa, "--all")
                        .code())
                .isEqualTo(2);

        // local -> local, only the newest backup, into an unencrypted repository
        String c = work.resolve("c").toString();
        Repositories.init(Path.of(c), RepositoryOptions.unencrypted()).close();
        VmCommandsIT.Run latest =
                cli("copy", "--from", a, "--from-password-file", pa, "--to", c, "--latest", "sp-copy", "--json");
        assertThat(latest.code()).as(latest.err()).isZero();
        assertThat(latest.last())
                .containsEntry("backups", 1)
                .containsEntry("snapshotsCopied", 1)
                .containsEntry("recordsCopied", 1);

        // a new host: nothing but the bucket and its passphrase
        Path newCatalog = work.resolve("newhost/state/catalog.db");
        VmCommandsIT.Run rebuild = cli(
                "catalog", "rebuild", "--repo", b, "--password-file", pb, "--catalog", newCatalog.toString(), "--json");
        assertThat(rebuild.code()).as(rebuild.err()).isZero();
        assertThat(rebuild.last()).containsEntry("fromRecords", 2).containsEntry("fromManifests", 0);
        assertThat(backupsJson(b, pb, newCatalog)).hasSize(2).isEqualTo(backupsJson(a, pa, Path.of(a, "catalog.db")));

        VmCommandsIT.Run restore = cli(
                "restore",
                ids.get(1),
                "--repo",
                b,
                "--password-file",
                pb,
                "--catalog",
                newCatalog.toString(),
                "--to",
                work.resolve("r").toString(),
                "--define",
                "sp-copy-restored");
        assertThat(restore.code()).as(restore.err()).isZero();
        HostPrograms.run(
                "qemu-img",
                "compare",
                "-f",
                "qcow2",
                "-F",
                "qcow2",
                image.toString(),
                work.resolve("r/sp-copy-restored-vda.qcow2").toString());
        assertThat(StaticConnectorProvider.DOMAINS).containsKey("sp-copy"); // the test connector's list
        VmCommandsIT.Run check = cli("check", "--repo", b, "--password-file", pb, "--read-data");
        assertThat(check.code()).as(check.out() + check.err()).isZero();
    }

    // ---- separate processes: SIGKILL during a copy ----

    static ProcessBuilder process(Map<String, String> env, String... args) {
        return ChildCli.process(s3, work, env, args);
    }

    static ChildCli.Run run(Map<String, String> env, String... args) throws Exception {
        return ChildCli.run(work, process(env, args));
    }

    static Map<String, Object> summary(ChildCli.Run r) throws Exception {
        return ChildCli.summary(r);
    }

    /**
     * Complete objects under {@code dir} of s3proxy's filesystem store: named by their 64-hex id.
     * An upload in progress is a temporary file beside it under another name, gone when the upload
     * is cut (counting it made the kill test see an index that the kill then took away).
     */
    static long packsUnder(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) return 0;
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .filter(f -> f.getFileName().toString().matches("[0-9a-f]{64}"))
                    .count();
        }
    }

    @Test
    void aCopyKilledWithSigkillLeavesACleanTargetAndARerunCompletes() throws Exception {
        Map<String, String> env =
                Map.of("STILLPOINT_FROM_PASSWORD", "from secret", "STILLPOINT_TO_PASSWORD", "to secret");
        String a = work.resolve("kill-a").toString();
        init(a, "from secret");
        String b = s3.location("copies", "kill-b");
        init(b, "to secret");
        byte[] img = new byte[192 << 20];
        new Random(42).nextBytes(img);
        Path file = Files.write(work.resolve("kill.raw"), img);
        ChildCli.Run backup = run(
                Map.of("STILLPOINT_PASSWORD", "from secret"),
                "image",
                "backup",
                "--repo",
                a,
                "--name",
                "big/vda",
                file.toString(),
                "--json");
        assertThat(backup.code()).as(backup.err()).isZero();
        String id = (String) summary(backup).get("id");

        Path packs = s3.dataDir().resolve("copies/kill-b/data");
        // a pack's index file is written once the pack is durable: only indexed packs can be
        // reused by the rerun (a pack object alone may still be uploading, or be unindexed)
        Path indexes = s3.dataDir().resolve("copies/kill-b/index");
        Process p = process(env, "copy", "--from", a, "--to", b, "--snapshot", id, "--json")
                .redirectOutput(work.resolve("kill-out.txt").toFile())
                .redirectError(work.resolve("kill-err.txt").toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (packsUnder(indexes) < 1 && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(10);
        assertThat(p.isAlive())
                .as("copy still running after %d indexed packs", packsUnder(indexes))
                .isTrue();
        p.destroyForcibly(); // SIGKILL
        p.waitFor(30, TimeUnit.SECONDS);
        assertThat(packsUnder(packs)).isPositive();
        assertThat(packsUnder(indexes)).isPositive();

        ChildCli.Run check = run(Map.of("STILLPOINT_PASSWORD", "to secret"), "check", "--repo", b);
        assertThat(check.code()).as(check.out() + check.err()).isZero();
        ChildCli.Run snaps = run(Map.of("STILLPOINT_PASSWORD", "to secret"), "snapshots", "--repo", b, "--json");
        assertThat(summary(snaps)).containsEntry("snapshots", 0); // nothing half-copied is visible

        ChildCli.Run rerun = run(env, "copy", "--from", a, "--to", b, "--snapshot", id, "--json");
        assertThat(rerun.code()).as(rerun.err()).isZero();
        Map<String, Object> s = summary(rerun);
        assertThat(s).containsEntry("snapshotsCopied", 1);
        long sent = ((Number) s.get("chunksSent")).longValue();
        assertThat(sent)
                .as("the rerun sends only what the killed copy had not")
                .isPositive()
                .isLessThan(192);
        @SuppressWarnings("unchecked")
        String copyId = ((Map<String, String>) s.get("snapshots")).get(id);
        Path restored = work.resolve("kill-restored.raw");
        ChildCli.Run restore = run(
                Map.of("STILLPOINT_PASSWORD", "to secret"),
                "image",
                "restore",
                "--repo",
                b,
                copyId.substring(0, 8),
                "--target",
                restored.toString());
        assertThat(restore.code()).as(restore.err()).isZero();
        assertThat(Files.readAllBytes(restored)).isEqualTo(img);
        ChildCli.Run checkData = run(Map.of("STILLPOINT_PASSWORD", "to secret"), "check", "--repo", b, "--read-data");
        assertThat(checkData.code()).as(checkData.out() + checkData.err()).isZero();
        ChildCli.Run third = run(env, "copy", "--from", a, "--to", b, "--snapshot", id, "--json");
        assertThat(summary(third)).containsEntry("snapshotsCopied", 0).containsEntry("bytesSent", 0);
    }
}
