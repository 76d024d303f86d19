package dev.stillpoint.cli.exitcodes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.cli.ExitCodes;
import dev.stillpoint.cli.Main;
import dev.stillpoint.testkit.FaultProxy;
import dev.stillpoint.testkit.HostPrograms;
import dev.stillpoint.testkit.S3Proxy;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every exit code docs/scripting.md lists for {@code backup}, {@code restore}, {@code image backup}
 * and {@code image restore}, reached through the command line with real repositories, qemu-nbd
 * and qemu-img (no guest). Each test names the codes it reaches with {@link Reaches}; after each
 * test the codes its runs really returned are checked against them, and {@link ExitCodeTableTest}
 * checks the annotations against the documented table.
 */
class ExitCodesIT {
    private static final String DOMAIN = "sp-exit-codes";

    @TempDir
    Path tmp;

    private final List<String> reached = new ArrayList<>();

    record Run(String command, int code, String out, String err) {}

    /** Run journals and domain locks of this class's runs (in-process and child JVMs), not the host's. */
    static Path stateDir;

    @BeforeAll
    static void useTestConnector() throws Exception {
        System.setProperty("stillpoint.connector", TestDomains.class.getName());
        stateDir = Files.createTempDirectory("sp-exit-codes-state");
        System.setProperty("stillpoint.stateDir", stateDir.toString());
    }

    @AfterAll
    static void reset() throws Exception {
        System.clearProperty("stillpoint.connector");
        System.clearProperty("stillpoint.stateDir");
        TestDomains.DOMAINS.clear();
        HostPrograms.run("rm", "-rf", stateDir.toString());
    }

    @BeforeEach
    void programs() {
        HostPrograms.require("qemu-img", "qemu-nbd", "qemu-io");
    }

    /** The codes the test claims are the codes its runs returned. */
    @AfterEach
    void claimsWereReached(TestInfo info) {
        for (Reaches r : info.getTestMethod().orElseThrow().getAnnotationsByType(Reaches.class)) {
            for (String command : r.command()) {
                assertThat(reached)
                        .as("%s claims '%s' exits %d", info.getDisplayName(), command, r.code())
                        .contains(command + " " + r.code());
            }
        }
    }

    private Run cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return record(new Run(command(args), code, out.toString(), err.toString()));
    }

    private Run record(Run r) {
        reached.add(r.command() + " " + r.code());
        return r;
    }

    private static String command(String... args) {
        return "image".equals(args[0]) ? "image " + args[1] : args[0];
    }

    /** Runs {@code expect}'s command and asserts the exit code (and that stderr says why). */
    private Run expect(int code, String... args) {
        Run r = cli(args);
        assertThat(r.code())
                .as("%s: stdout %s stderr %s", String.join(" ", args), r.out(), r.err())
                .isEqualTo(code);
        if (code != 0 && code != ExitCodes.USAGE)
            assertThat(r.err()).contains("stillpoint: error:").doesNotContain("unexpected");
        return r;
    }

    // ---- fixtures ---------------------------------------------------------------------------

    /** A shut-off domain with a qcow2 disk of 8 MiB, 2 MiB of it written. */
    private void domain() throws Exception {
        Path image = tmp.resolve("vda.qcow2");
        if (!Files.exists(image)) HostPrograms.qcow2(image, "8M", "write -P 0x41 1M 2M");
        TestDomains.shutOff(DOMAIN, "qcow2", image.toString());
    }

    private Path raw(String name, int mib) throws Exception {
        byte[] data = new byte[mib << 20];
        new Random(mib).nextBytes(data);
        return Files.write(tmp.resolve(name), data);
    }

    private Path repo(String name) {
        Path repo = tmp.resolve(name);
        expect(0, "repo", "init", "--repo", repo.toString(), "--encryption", "none");
        return repo;
    }

    /** A repository holding one VM backup and one image snapshot: returns {backup id, snapshot id}. */
    private String[] filled(Path repo) throws Exception {
        return filled(repo.toString());
    }

    /** {@code backupOptions}: more options of the backup (e.g. its {@code --catalog}). */
    private String[] filled(String repo, String... backupOptions) throws Exception {
        domain();
        String backup = (String) json(expect(
                        0,
                        with(
                                backupOptions,
                                "backup",
                                DOMAIN,
                                "--repo",
                                repo,
                                "--json",
                                "--work-dir",
                                tmp.resolve("w").toString())))
                .get("backupId");
        String snapshot = (String) json(expect(
                        0,
                        "image",
                        "backup",
                        "--repo",
                        repo,
                        "--name",
                        "img",
                        raw("img.raw", 2).toString(),
                        "--json"))
                .get("id");
        return new String[] {backup, snapshot};
    }

    private static Map<String, Object> json(Run r) throws Exception {
        String[] lines = r.out().strip().split("\n");
        return JSON.std.mapFrom(lines[lines.length - 1]);
    }

    /** The four commands against {@code repo} (the restores of {@code ids} from {@link #filled}). */
    private void allFour(int code, Path repo, String[] ids, String... extra) throws Exception {
        allFour(code, repo.toString(), ids, extra);
    }

    /** The same with the repository's location ({@code s3:...} too). */
    private void allFour(int code, String repo, String[] ids, String... extra) throws Exception {
        domain();
        expect(
                code,
                with(
                        extra,
                        "backup",
                        DOMAIN,
                        "--repo",
                        repo,
                        "--work-dir",
                        tmp.resolve("w").toString()));
        expect(
                code,
                with(
                        extra,
                        "restore",
                        ids[0],
                        "--repo",
                        repo,
                        "--catalog",
                        tmp.resolve("catalog.db").toString(),
                        "--to",
                        tmp.resolve("restored-" + code).toString(),
                        "--format",
                        "raw"));
        expect(
                code,
                with(
                        extra,
                        "image",
                        "backup",
                        "--repo",
                        repo,
                        "--name",
                        "img",
                        raw("img2.raw", 1).toString()));
        expect(
                code,
                with(
                        extra,
                        "image",
                        "restore",
                        ids[1],
                        "--repo",
                        repo,
                        "--target",
                        tmp.resolve("img-" + code + ".raw").toString()));
    }

    private static String[] with(String[] extra, String... args) {
        return Stream.concat(Stream.of(args), Stream.of(extra)).toArray(String[]::new);
    }

    /** A repository with a backup whose catalog is kept beside it in tmp/catalog.db. */
    private String[] filledWithCatalog(Path repo) throws Exception {
        String[] ids = filled(repo);
        Files.copy(repo.resolve("catalog.db"), tmp.resolve("catalog.db"));
        return ids;
    }

    /** A step of a test on a path (e.g. what it does to a filled repository before the commands run). */
    @FunctionalInterface
    interface Step {
        void apply(Path path) throws Exception;
    }

    /** The four commands against a filled repository that {@code damage} broke. */
    private void allFour(int code, Step damage) throws Exception {
        Path repo = repo("repo");
        String[] ids = filledWithCatalog(repo);
        damage.apply(repo);
        allFour(code, repo, ids);
    }

    // ---- the codes --------------------------------------------------------------------------

    @Test
    @Reaches(
            code = 0,
            command = {"backup", "restore", "image backup", "image restore"})
    void success() throws Exception {
        allFour(ExitCodes.OK, repo -> {});
        assertThat(Files.readAllBytes(tmp.resolve("img-0.raw"))).isEqualTo(Files.readAllBytes(tmp.resolve("img.raw")));
    }

    @Test
    @Reaches(
            code = 2,
            command = {"backup", "restore", "image backup", "image restore"})
    void badCommandLineOrInput() throws Exception {
        Path repo = repo("repo");
        domain();
        expect(ExitCodes.USAGE, "backup", DOMAIN, "--repo", repo.toString(), "--consistency", "sometimes");
        expect(ExitCodes.USAGE, "restore", "0123", "--repo", repo.toString());
        assertThat(expect(
                                ExitCodes.USAGE,
                                "image",
                                "backup",
                                "--repo",
                                repo.toString(),
                                "--name",
                                "x",
                                tmp.resolve("missing.raw").toString())
                        .err())
                .contains("does not exist");
        expect(ExitCodes.USAGE, "image", "restore", "0123", "--repo", repo.toString(), "--target", "-", "--json");
    }

    @Test
    @Reaches(
            code = 10,
            command = {"backup", "restore", "image backup", "image restore"})
    void noRepository() throws Exception {
        allFour(ExitCodes.REPO_NOT_FOUND, repo -> Files.move(repo, tmp.resolve("moved-away")));
    }

    @Test
    @Reaches(
            code = 11,
            command = {"backup", "restore", "image backup", "image restore"})
    void wrongPassphrase() throws Exception {
        Path pw = Files.writeString(tmp.resolve("pw"), "right\n"),
                wrong = Files.writeString(tmp.resolve("wrong"), "wrong\n");
        Path repo = tmp.resolve("repo");
        expect(0, "repo", "init", "--repo", repo.toString(), "--password-file", pw.toString());
        domain();
        String backup = (String) json(expect(
                        0,
                        "backup",
                        DOMAIN,
                        "--repo",
                        repo.toString(),
                        "--json",
                        "--password-file",
                        pw.toString(),
                        "--work-dir",
                        tmp.resolve("w").toString()))
                .get("backupId");
        String snapshot = (String) json(expect(
                        0,
                        "image",
                        "backup",
                        "--repo",
                        repo.toString(),
                        "--password-file",
                        pw.toString(),
                        "--name",
                        "img",
                        raw("img.raw", 1).toString(),
                        "--json"))
                .get("id");
        Files.copy(repo.resolve("catalog.db"), tmp.resolve("catalog.db"));
        allFour(
                ExitCodes.REPO_WRONG_PASSWORD,
                repo,
                new String[] {backup, snapshot},
                "--password-file",
                wrong.toString());
    }

    @Test
    @Reaches(
            code = 12,
            command = {"backup", "restore", "image backup", "image restore"})
    void damagedRepository() throws Exception {
        allFour(
                ExitCodes.REPO_CORRUPT,
                repo -> Files.writeString(repo.resolve("config"), "{\"version\": 3, \"chunkSize\": \"not a number\""));
    }

    @Test
    @Reaches(
            code = 13,
            command = {"backup", "restore", "image backup", "image restore"})
    void lockedRepository() throws Exception {
        Instant now = Instant.now();
        allFour(
                ExitCodes.REPO_LOCKED,
                repo -> Files.writeString(
                        repo.resolve("locks").resolve("0123456789abcdef0123456789abcdef"),
                        JSON.std.asString(Map.of(
                                "exclusive",
                                true,
                                "host",
                                "another-host",
                                "pid",
                                4242,
                                "created",
                                now.toString(),
                                "expires",
                                now.plusSeconds(3600).toString()))));
    }

    @Test
    @Reaches(
            code = 14,
            command = {"backup", "restore", "image backup", "image restore"})
    void unsupportedFormatVersion() throws Exception {
        allFour(ExitCodes.REPO_UNSUPPORTED_VERSION, repo -> {
            Map<String, Object> config = JSON.std.mapFrom(Files.readString(repo.resolve("config")));
            config.put("version", 99);
            Files.writeString(repo.resolve("config"), JSON.std.asString(config));
        });
    }

    @Test
    @Reaches(code = 15, command = "image restore")
    void imageRestoreTargetExists() throws Exception {
        Path repo = repo("repo");
        String[] ids = filled(repo);
        Path target = Files.writeString(tmp.resolve("exists.raw"), "keep me");
        expect(
                ExitCodes.REPO_ALREADY_EXISTS,
                "image",
                "restore",
                ids[1],
                "--repo",
                repo.toString(),
                "--target",
                target.toString());
        assertThat(Files.readString(target)).isEqualTo("keep me");
    }

    /** A full filesystem is real: a small tmpfs (needs root to mount). Nothing half-written becomes visible. */
    @Test
    @Reaches(
            code = 16,
            command = {"backup", "image backup"})
    void repositoryFilesystemFull() throws Exception {
        HostPrograms.require("mount", "umount");
        if (ProcessHandle.current().info().user().map(u -> !u.equals("root")).orElse(true)) {
            String why = "mounting a tmpfs needs root";
            if (Boolean.getBoolean("stillpoint.it.required"))
                throw new AssertionError(why + " (stillpoint.it.required=true)");
            Assumptions.abort(why);
        }
        Path mnt = Files.createDirectory(tmp.resolve("small"));
        HostPrograms.run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt.toString());
        try {
            Path repo = repo("small/repo");
            Path image = tmp.resolve("big.qcow2");
            HostPrograms.run(
                    "qemu-img",
                    "convert",
                    "-q",
                    "-f",
                    "raw",
                    "-O",
                    "qcow2",
                    raw("big.raw", 16).toString(),
                    image.toString());
            TestDomains.shutOff(DOMAIN, "qcow2", image.toString());
            Run backup = expect(
                    ExitCodes.REPO_FULL,
                    "backup",
                    DOMAIN,
                    "--repo",
                    repo.toString(),
                    "--work-dir",
                    tmp.resolve("w").toString());
            assertThat(backup.err()).contains("No space left on device");
            Run image2 = expect(
                    ExitCodes.REPO_FULL,
                    "image",
                    "backup",
                    "--repo",
                    repo.toString(),
                    "--name",
                    "big",
                    tmp.resolve("big.raw").toString());
            assertThat(image2.err()).contains("repository filesystem full");
            Run snapshots = expect(0, "snapshots", "--repo", repo.toString(), "--json");
            assertThat(json(snapshots)).containsEntry("snapshots", 0); // no half-written snapshot is visible
            try (Stream<Path> s = Files.list(repo.resolve("tmp"))) {
                assertThat(s.toList()).as("temp packs removed").isEmpty();
            }
        } finally {
            HostPrograms.run("umount", mnt.toString());
        }
    }

    @Test
    @Reaches(
            code = 17,
            command = {"backup", "restore", "image backup", "image restore"})
    void repositoryIoError() throws Exception {
        Path repo = repo("repo");
        String[] ids = filledWithCatalog(repo);
        // writes: no pack can be published (every data/xx is a file, not a directory)
        Path writable = repo("writable");
        for (int i = 0; i < 256; i++) {
            Path d = writable.resolve("data").resolve(String.format("%02x", i));
            if (Files.isDirectory(d)) Files.delete(d);
            Files.writeString(d, "");
        }
        domain();
        expect(
                ExitCodes.REPO_IO_ERROR,
                "backup",
                DOMAIN,
                "--repo",
                writable.toString(),
                "--work-dir",
                tmp.resolve("w").toString());
        expect(
                ExitCodes.REPO_IO_ERROR,
                "image",
                "backup",
                "--repo",
                writable.toString(),
                "--name",
                "img",
                raw("img2.raw", 1).toString());
        // reads: every pack is a directory (EISDIR), not a file
        try (Stream<Path> s = Files.walk(repo.resolve("data"))) {
            for (Path pack : s.filter(Files::isRegularFile).toList()) {
                Files.delete(pack);
                Files.createDirectory(pack);
            }
        }
        expect(
                ExitCodes.REPO_IO_ERROR,
                "restore",
                ids[0],
                "--repo",
                repo.toString(),
                "--to",
                tmp.resolve("r").toString(),
                "--format",
                "raw");
        expect(
                ExitCodes.REPO_IO_ERROR,
                "image",
                "restore",
                ids[1],
                "--repo",
                repo.toString(),
                "--target",
                tmp.resolve("t.raw").toString());
    }

    /** What a test does to the way to an {@code s3:} repository once it is filled. */
    @FunctionalInterface
    interface S3Fault {
        void apply(FaultProxy proxy) throws Exception;
    }

    /**
     * The four commands against an {@code s3:} repository (a real s3proxy behind a {@link FaultProxy}),
     * filled while everything passes, after {@code fault} broke the way to it. The S3 settings are
     * this JVM's system properties (the commands run in it), restored afterwards.
     */
    private void allFourOnS3(int code, S3Fault fault) throws Exception {
        List<String> props = List.of(
                "aws.accessKeyId",
                "aws.secretAccessKey",
                "aws.region",
                "stillpoint.s3.attempts",
                "stillpoint.s3.backoffMillis",
                "stillpoint.cacheDir");
        Map<String, String> saved = new java.util.HashMap<>();
        for (String p : props) saved.put(p, System.getProperty(p));
        try (S3Proxy s3 = S3Proxy.start(tmp.resolve("s3"));
                FaultProxy proxy = FaultProxy.start(s3)) {
            s3.createBucket("backups");
            s3.useInThisJvm();
            System.setProperty("stillpoint.s3.attempts", "3");
            System.setProperty("stillpoint.s3.backoffMillis", "20");
            System.setProperty("stillpoint.cacheDir", tmp.resolve("cache").toString());
            String repo = proxy.location("backups", "exit-" + code);
            expect(0, "repo", "init", "--repo", repo, "--encryption", "none");
            String[] ids = filled(repo, "--catalog", tmp.resolve("catalog.db").toString());
            fault.apply(proxy);
            allFour(code, repo, ids);
            assertThat(proxy.seen()).as("the commands reached the proxy").isNotEmpty();
        } finally {
            saved.forEach((k, v) -> {
                if (v == null) System.clearProperty(k);
                else System.setProperty(k, v);
            });
        }
    }

    @Test
    @Reaches(
            code = 18,
            command = {"backup", "restore", "image backup", "image restore"})
    void repositoryAccessDenied() throws Exception {
        // the server refuses the signature (S3 403 SignatureDoesNotMatch), as for a wrong secret key
        allFourOnS3(ExitCodes.REPO_ACCESS_DENIED, proxy -> System.setProperty("aws.secretAccessKey", "wrong"));
    }

    @Test
    @Reaches(
            code = 19,
            command = {"backup", "restore", "image backup", "image restore"})
    void repositoryBackendUnavailable() throws Exception {
        // every request answered 503 SlowDown: each command gives up after its 3 attempts
        allFourOnS3(ExitCodes.REPO_UNAVAILABLE, proxy -> proxy.rule(r -> FaultProxy.Fault.error(503, "SlowDown")));
    }

    @Test
    @Reaches(code = 20, command = "backup")
    void domainNotFound() {
        expect(
                ExitCodes.VM_NOT_FOUND,
                "backup",
                "sp-no-such-domain",
                "--repo",
                repo("repo").toString());
    }

    @Test
    @Reaches(code = 21, command = "backup")
    void quiesceRequiredButTheAgentIsSilent() {
        TestDomains.silentAgent("sp-silent");
        Run r = expect(
                ExitCodes.QUIESCE_FAILED,
                "backup",
                "sp-silent",
                "--repo",
                repo("repo").toString(),
                "--consistency",
                "required",
                "--work-dir",
                tmp.resolve("w").toString());
        assertThat(r.err()).contains("consistency 'required'");
    }

    /** The NBD copy fails (qemu's blkdebug makes every read of the disk fail with EIO), and the image file cannot be read. */
    @Test
    @Reaches(
            code = 22,
            command = {"backup", "image backup"})
    void sourceReadFails() throws Exception {
        Path repo = repo("repo");
        Path disk = raw("eio.raw", 4);
        Path conf = Files.writeString(
                tmp.resolve("blkdebug.conf"), "[inject-error]\nevent = \"read_aio\"\nerrno = \"5\"\n");
        TestDomains.shutOff("sp-eio", "raw", "blkdebug:" + conf + ":" + disk);
        Run backup = expect(
                ExitCodes.JOB_FAILED,
                "backup",
                "sp-eio",
                "--repo",
                repo.toString(),
                "--work-dir",
                tmp.resolve("w").toString());
        assertThat(backup.err()).contains("reading domain sp-eio disk vda failed at offset 0");
        assertThat(json(expect(0, "snapshots", "--repo", repo.toString(), "--json")))
                .containsEntry("snapshots", 0);
        // /proc/self/mem reads fail with EIO at offset 0 (nothing is mapped there)
        Run image = expect(
                ExitCodes.JOB_FAILED, "image", "backup", "--repo", repo.toString(), "--name", "mem", "/proc/self/mem");
        assertThat(image.err()).contains("reading file /proc/self/mem failed at offset 0");
    }

    @Test
    @Reaches(
            code = 23,
            command = {"backup", "restore"})
    void hypervisorUnreachable() throws Exception {
        Path repo = repo("repo");
        String[] ids = filled(repo);
        System.setProperty("stillpoint.connector", "dev.stillpoint.NoSuchConnector");
        try {
            expect(ExitCodes.HYPERVISOR_UNAVAILABLE, "backup", DOMAIN, "--repo", repo.toString());
            expect(
                    ExitCodes.HYPERVISOR_UNAVAILABLE,
                    "restore",
                    ids[0],
                    "--repo",
                    repo.toString(),
                    "--define",
                    "sp-new",
                    "--to",
                    tmp.resolve("r").toString(),
                    "--format",
                    "raw");
        } finally {
            System.setProperty("stillpoint.connector", TestDomains.class.getName());
        }
    }

    @Test
    @Reaches(code = 24, command = "restore")
    void backupNotFound() {
        expect(
                ExitCodes.BACKUP_NOT_FOUND,
                "restore",
                "feedfacefeedface",
                "--repo",
                repo("repo").toString(),
                "--to",
                tmp.toString());
    }

    @Test
    @Reaches(
            code = 25,
            command = {"backup", "restore"})
    void catalogUnusable() throws Exception {
        Path repo = repo("repo");
        domain();
        Path notADatabase = Files.createDirectory(tmp.resolve("catalog-is-a-directory"));
        expect(
                ExitCodes.CATALOG_FAILED,
                "backup",
                DOMAIN,
                "--repo",
                repo.toString(),
                "--catalog",
                notADatabase.toString());
        expect(
                ExitCodes.CATALOG_FAILED,
                "restore",
                "feedface",
                "--repo",
                repo.toString(),
                "--catalog",
                notADatabase.toString(),
                "--to",
                tmp.toString());
    }

    @Test
    @Reaches(code = 26, command = "restore")
    void restoreTargetExists() throws Exception {
        Path repo = repo("repo");
        String[] ids = filled(repo);
        expect(
                0,
                "restore",
                ids[0],
                "--repo",
                repo.toString(),
                "--to",
                tmp.resolve("r").toString(),
                "--format",
                "raw");
        expect(
                ExitCodes.TARGET_EXISTS,
                "restore",
                ids[0],
                "--repo",
                repo.toString(),
                "--to",
                tmp.resolve("r").toString(),
                "--format",
                "raw");
    }

    /** qemu-img cannot run (not on PATH) when the restore converts to qcow2: a separate JVM with an empty PATH. */
    @Test
    @Reaches(code = 22, command = "restore")
    void restoreToolFails() throws Exception {
        Path repo = repo("repo");
        String[] ids = filled(repo);
        Process p = child(
                Map.of("PATH", "/nonexistent"),
                "restore",
                ids[0],
                "--repo",
                repo.toString(),
                "--to",
                tmp.resolve("r").toString(),
                "--format",
                "qcow2");
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String err = Files.readString(tmp.resolve("child.err"));
        record(new Run("restore", p.exitValue(), "", err));
        assertThat(p.exitValue()).as(err).isEqualTo(ExitCodes.JOB_FAILED);
        assertThat(err).contains("qemu-img");
    }

    /**
     * Ctrl-C (SIGINT, 130) and SIGTERM (143) during the copy of a backup and of a restore (separate
     * JVMs); while the first backup copies, a second backup of the domain is refused (27).
     */
    @Test
    @Reaches(
            code = 130,
            command = {"backup", "restore"})
    @Reaches(
            code = 143,
            command = {"backup", "restore"})
    @Reaches(code = 27, command = "backup")
    void signalsAndABusyDomain() throws Exception {
        Path repo = repo("repo");
        Path image = tmp.resolve("big.qcow2");
        HostPrograms.run(
                "sh",
                "-c",
                "head -c 512M /dev/urandom > " + tmp.resolve("big.raw") + " && qemu-img convert -q -f raw -O qcow2 "
                        + tmp.resolve("big.raw") + " " + image + " && rm " + tmp.resolve("big.raw"));
        String disk = DOMAIN + "=qcow2:" + image;
        TestDomains.shutOff(DOMAIN, "qcow2", image.toString());
        for (String signal : List.of("INT", "TERM")) {
            Process p = child(
                    Map.of(),
                    "-Dstillpoint.test.disk=" + disk,
                    "backup",
                    DOMAIN,
                    "--repo",
                    repo.toString(),
                    "--json",
                    "--work-dir",
                    tmp.resolve("w").toString());
            interruptDuringProgress(p, signal, "backup", path -> {
                if (signal.equals("INT")) {
                    Run busy = expect(
                            ExitCodes.DOMAIN_BUSY,
                            "backup",
                            DOMAIN,
                            "--repo",
                            repo.toString(),
                            "--work-dir",
                            tmp.resolve("w2").toString());
                    assertThat(busy.err()).contains("busy");
                }
            });
        }
        String backup = (String) json(expect(
                        0,
                        "backup",
                        DOMAIN,
                        "--repo",
                        repo.toString(),
                        "--json",
                        "--work-dir",
                        tmp.resolve("w").toString()))
                .get("backupId");
        for (String signal : List.of("INT", "TERM")) {
            Process p = child(
                    Map.of(),
                    "restore",
                    backup,
                    "--repo",
                    repo.toString(),
                    "--json",
                    "--to",
                    tmp.resolve("r-" + signal).toString(),
                    "--format",
                    "raw");
            interruptDuringProgress(p, signal, "restore", path -> {});
            try (Stream<Path> s = Files.list(tmp.resolve("r-" + signal))) {
                assertThat(s.toList()).as("partial restore removed").isEmpty();
            }
        }
    }

    /** Waits for {@code p}'s first progress line, runs {@code meanwhile}, then sends {@code signal}. */
    private void interruptDuringProgress(Process p, String signal, String command, Step meanwhile) throws Exception {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null && !line.contains("\"type\":\"progress\"")) {
                // until the copy is under way
            }
            assertThat(line)
                    .as("a progress line before the end; stderr: " + Files.readString(tmp.resolve("child.err")))
                    .isNotNull();
            meanwhile.apply(tmp);
            HostPrograms.run("kill", "-" + signal, String.valueOf(p.pid()));
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        }
        String err = Files.readString(tmp.resolve("child.err"));
        record(new Run(command, p.exitValue(), "", err));
        assertThat(p.exitValue()).as(err).isEqualTo("INT".equals(signal) ? 130 : 143);
        assertThat(err).contains("cancelled");
    }

    /** {@code stillpoint ARGS} in a separate JVM (arguments starting with -D go to the JVM), stderr to tmp/child.err. */
    private Process child(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                System.getProperty("java.class.path"),
                "-Dstillpoint.connector=" + TestDomains.class.getName(),
                "-Dstillpoint.stateDir=" + stateDir));
        List<String> rest = new ArrayList<>();
        for (String a : args) (a.startsWith("-D") ? cmd : rest).add(a);
        cmd.add(Main.class.getName());
        cmd.addAll(rest);
        ProcessBuilder pb =
                new ProcessBuilder(cmd).redirectError(tmp.resolve("child.err").toFile());
        pb.environment().putAll(env);
        return pb.start();
    }
}
