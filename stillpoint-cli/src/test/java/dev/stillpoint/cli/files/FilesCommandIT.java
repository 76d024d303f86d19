package dev.stillpoint.cli.files;

import static dev.stillpoint.cli.backup.VmCommandsIT.cli;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.cli.ExitCodes;
import dev.stillpoint.cli.backup.StaticConnectorProvider;
import dev.stillpoint.cli.backup.VmCommandsIT;
import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.RepositoryOptions;
import dev.stillpoint.testkit.HostPrograms;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stillpoint files}, {@code restore --files} and {@code mount}/{@code umount} on a backup of
 * six disks made by libguestfs (GPT: ext4 root + xfs /var; MBR: ext4 /home; a whole-disk vfat that
 * fstab does not name; an LVM volume spanning two disks; a btrfs subvolume), taken through the
 * offline path of a shut-off fake domain. Each command launches one
 * appliance (~15-60 s under TCG), so each test runs few commands and asserts much.
 */
class FilesCommandIT {
    @TempDir
    static Path tmp;

    static Path repo;
    static Path passwordFile;
    static String backupId;
    /** The point of {@link GuestImages#buildDirty}: an unreplayed ext4 journal (vda), a damaged GPT (vdb). */
    static String dirtyId;

    @BeforeAll
    static void buildImagesAndBackThemUp() throws Exception {
        HostPrograms.require(
                "guestfish",
                "qemu-img",
                "qemu-nbd",
                "mkfifo",
                "fusermount",
                "qemu-storage-daemon",
                "losetup",
                "blkid",
                "debugfs",
                "sfdisk");
        System.setProperty("stillpoint.stateDir", tmp.resolve("state").toString()); // run journals of these tests
        GuestImages.buildDirty(tmp); // seconds, on the host
        GuestImages.build(tmp); // one appliance run
        System.setProperty("stillpoint.connector", StaticConnectorProvider.class.getName());
        StaticConnectorProvider.DOMAINS.put(
                "sp-files",
                new StaticConnectorProvider.ShutOffDomain(
                        "sp-files",
                        List.of(
                                new VmDisk("vda", tmp.resolve("d1.img").toString(), "raw", null),
                                new VmDisk("vdb", tmp.resolve("d2.img").toString(), "raw", null),
                                new VmDisk("vdc", tmp.resolve("d3.img").toString(), "raw", null),
                                new VmDisk("vdd", tmp.resolve("d4.img").toString(), "raw", null),
                                new VmDisk("vde", tmp.resolve("d5.img").toString(), "raw", null),
                                new VmDisk("vdf", tmp.resolve("d6.img").toString(), "raw", null))));
        repo = tmp.resolve("repo");
        passwordFile = Files.writeString(tmp.resolve("pw"), "files-secret\n");
        Repositories.init(
                        repo,
                        RepositoryOptions.encrypted("files-secret".toCharArray())
                                .withKdf(8 * 1024, 1))
                .close();
        VmCommandsIT.Run backup = backup("sp-files");
        assertThat(backup.code()).as(backup.err()).isZero();
        backupId = (String) backup.last().get("backupId");
        StaticConnectorProvider.DOMAINS.put(
                "sp-files-dirty",
                new StaticConnectorProvider.ShutOffDomain(
                        "sp-files-dirty",
                        List.of(
                                new VmDisk("vda", tmp.resolve("j1.img").toString(), "raw", null),
                                new VmDisk("vdb", tmp.resolve("j2.img").toString(), "raw", null))));
        VmCommandsIT.Run dirty = backup("sp-files-dirty");
        assertThat(dirty.code()).as(dirty.err()).isZero();
        dirtyId = (String) dirty.last().get("backupId");
    }

    @AfterAll
    static void reset() {
        System.clearProperty("stillpoint.stateDir");
        System.clearProperty("stillpoint.connector");
        StaticConnectorProvider.DOMAINS.remove("sp-files");
        StaticConnectorProvider.DOMAINS.remove("sp-files-dirty");
    }

    private static VmCommandsIT.Run backup(String domain) {
        return cli(
                "backup",
                domain,
                "--repo",
                repo.toString(),
                "--password-file",
                passwordFile.toString(),
                "--json",
                "--work-dir",
                tmp.resolve("w").toString());
    }

    /** {@code restore --files /srv/tree /etc/hostname /var/log/app.log --to out} of the main point. */
    private static VmCommandsIT.Run restoreTree(Path out, String... extra) {
        List<String> all = new java.util.ArrayList<>(List.of(
                "restore",
                backupId,
                "--repo",
                repo.toString(),
                "--password-file",
                passwordFile.toString(),
                "--files",
                "/srv/tree",
                "/etc/hostname",
                "/var/log/app.log",
                "--to",
                out.toString(),
                "--json"));
        all.addAll(List.of(extra));
        return cli(all.toArray(String[]::new));
    }

    private static VmCommandsIT.Run files(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of(
                "files",
                backupId.substring(0, 8),
                "--repo",
                repo.toString(),
                "--password-file",
                passwordFile.toString()));
        all.addAll(List.of(args));
        return cli(all.toArray(String[]::new));
    }

    private static Set<Path> ourTempDirs() throws Exception {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("stillpoint-files-"))
                    .collect(Collectors.toSet());
        }
    }

    @SuppressWarnings("unchecked")
    @Test
    void listsTheRootPlacesEveryFilesystemAndFindsAcrossThem() throws Exception {
        Set<Path> before = ourTempDirs();
        VmCommandsIT.Run root = files("/", "--json");
        assertThat(root.code()).as(root.err()).isZero();
        List<Map<String, Object>> lines = root.lines();
        Map<String, Object> summary = lines.getLast();
        assertThat(summary).containsEntry("type", "summary").containsEntry("entries", 7);
        assertThat(lines.subList(0, lines.size() - 1))
                .extracting(m -> m.get("path"))
                .containsExactly("/.stillpoint", "/etc", "/home", "/lost+found", "/opt", "/srv", "/var")
                .doesNotContain("/probe", "/guest");
        List<Map<String, Object>> fss = (List<Map<String, Object>>) summary.get("filesystems");
        assertThat(fss)
                .extracting(m -> m.get("device") + " " + m.get("type") + " " + m.get("mountPoint"))
                .containsExactlyInAnyOrder(
                        "vda1 ext4 /",
                        "vda2 xfs /var",
                        "vdb1 ext4 /home",
                        "vdc vfat /.stillpoint/unplaced/vdc",
                        "data-srv ext4 /srv/lvm",
                        "vdf btrfs /opt");
        assertThat(fss)
                .filteredOn(m -> "vda1".equals(m.get("device")))
                .extracting(m -> m.get("label"))
                .containsExactly("root");
        assertThat(fss)
                .filteredOn(m -> "vda2".equals(m.get("device")))
                .extracting(m -> m.get("uuid"))
                .containsExactly(GuestImages.XFS_UUID);
        Map<String, Object> etc = lines.get(1);
        assertThat(etc)
                .containsEntry("kind", "dir")
                .containsEntry("mode", "0755")
                .containsEntry("uid", 0);

        assertThat(ourTempDirs()).isEqualTo(before); // export socket and FIFO directory removed each time
    }

    @Test
    void restoresTreesAndFilesKeepingOwnersModesTimesLinksAndHoles() throws Exception {
        Path out = tmp.resolve("out");
        VmCommandsIT.Run r = restoreTree(out);
        assertRestored(r, out);

        // refused before anything starts: the target exists
        long t0 = System.nanoTime();
        VmCommandsIT.Run again = cli(
                "restore",
                backupId,
                "--repo",
                repo.toString(),
                "--password-file",
                passwordFile.toString(),
                "--files",
                "/etc/hostname",
                "--to",
                out.toString());
        assertThat(again.code()).isEqualTo(ExitCodes.TARGET_EXISTS);
        assertThat(again.err()).contains("--force");
        assertThat(System.nanoTime() - t0)
                .as("refused without launching the appliance")
                .isLessThan(10_000_000_000L);
        assertThat(Files.exists(out.resolve("etc/hostname"), LinkOption.NOFOLLOW_LINKS))
                .isTrue();
    }

    /** A {@code stillpoint mount} in its own JVM, after its ready line. */
    @SuppressWarnings("unchecked")
    private static Process startMount(Path dir) throws Exception {
        return startMount(dir, false);
    }

    /** The standard error of the latest {@link #startMount} (its warnings explain a missing file). */
    private static Path lastMountErr;

    @SuppressWarnings("unchecked")
    private static Process startMount(Path dir, boolean hostKernel) throws Exception {
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(
                javaBin,
                "--enable-native-access=ALL-UNNAMED",
                "-Dstillpoint.stateDir=" + tmp.resolve("state"),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.stillpoint.cli.Main",
                "mount",
                backupId,
                dir.toString(),
                "--repo",
                repo.toString(),
                "--json");
        if (hostKernel) pb.command().add("--host-kernel");
        pb.environment().put("STILLPOINT_PASSWORD", "files-secret");
        Path err = Files.createTempFile(tmp, "mount", ".err");
        Process p = pb.redirectError(err.toFile()).start();
        String line = new java.io.BufferedReader(
                        new java.io.InputStreamReader(p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))
                .readLine();
        assertThat(line)
                .as("ready line; stderr: " + Files.readString(err))
                .isNotNull()
                .contains("\"type\":\"ready\"");
        assertThat(Files.readString(err)).contains("vdc (vfat) has no place in the guest's fstab");
        if (hostKernel) assertThat(Files.readString(err)).contains("vdd is an LVM physical volume");
        lastMountErr = err;
        return p;
    }

    /** {@code umount DIR} of a live mount: its process exits 0 and leaves DIR empty and unmounted. */
    private static void umountLive(Process mount, Path dir) throws Exception {
        VmCommandsIT.Run umount = cli("umount", dir.toString(), "--json");
        assertThat(umount.code()).as(umount.err()).isZero();
        assertThat(umount.last()).containsEntry("processExited", true).containsEntry("pid", (int) mount.pid());
        assertThat(mount.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(mount.exitValue()).isZero();
        assertThat(dev.stillpoint.engine.runs.FuseMounts.mounted(dir.toString()))
                .isFalse();
        assertThat(dir).isEmptyDirectory();
    }

    /** {@code kill -9} of a mount's process: DIR stays mounted. */
    private static void killWhileMounted(Process mount, Path dir) throws Exception {
        mount.destroyForcibly();
        mount.waitFor();
        assertThat(dev.stillpoint.engine.runs.FuseMounts.mounted(dir.toString()))
                .isTrue();
    }

    private static List<String> applianceProcessesUnder(Path dir) throws Exception {
        List<String> out = new java.util.ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("[0-9]+"))
                    .toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(proc.resolve("cmdline"))).replace('\0', ' ');
                    if (cmd.startsWith("qemu-system") || cmd.contains("/qemu-system")) {
                        if (cmd.contains(dir.toString())) out.add(proc.getFileName() + " " + cmd);
                    }
                } catch (java.io.IOException gone) {
                    // exited meanwhile
                }
            }
        }
        return out;
    }

    @Test
    void mountShowsTheTreeReadOnlyUntilUmountAndAKilledMountIsCleanedByTheNextRun() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("mnt"));
        Path state = tmp.resolve("state/runs");
        Process mount = startMount(dir);
        try {
            assertThat(dir.resolve("etc/hostname")).hasContent("files-it");
            assertThat(dir.resolve("var/log/app.log")).hasContent("on xfs");
            assertThat(dir.resolve("home/user/notes.txt")).hasContent("on the MBR disk");
            assertThat(dir.resolve("srv/lvm/on-lvm.txt")).hasContent("spans two disks");
            assertThat(dir.resolve("opt/in-subvol.txt")).hasContent("btrfs");
            assertThat(Files.readSymbolicLink(dir.resolve("srv/tree/rel-link"))).isEqualTo(Path.of("hello.txt"));
            assertThatThrownBy(() -> Files.writeString(dir.resolve("etc/new"), "x"))
                    .isInstanceOf(java.io.IOException.class);
            assertThat(dev.stillpoint.engine.runs.FuseMounts.mounted(dir.toString()))
                    .isTrue();
            try (Stream<Path> s = Files.list(state)) {
                assertThat(s.map(p -> p.getFileName().toString()))
                        .anyMatch(n -> n.startsWith("run-") && n.endsWith(".json"));
            }
            umountLive(mount, dir);
        } finally {
            mount.destroyForcibly();
        }

        // kill -9 while mounted: the mount, the appliance and the work directory stay behind ...
        killWhileMounted(startMount(dir), dir);
        Path workDir;
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            workDir = s.filter(p -> p.getFileName().toString().startsWith("stillpoint-mount-"))
                    .findFirst()
                    .orElseThrow();
        }
        // ... until the next run's recovery: unmounted, appliance killed, work directory removed
        VmCommandsIT.Run next = cli("umount", dir.toString());
        assertThat(next.code()).as(next.err()).isZero();
        assertThat(next.err()).contains("unmounted " + dir).contains("removed work directory " + workDir);
        assertThat(dev.stillpoint.engine.runs.FuseMounts.mounted(dir.toString()))
                .isFalse();
        assertThat(workDir).doesNotExist();
        assertThat(applianceProcessesUnder(workDir)).isEmpty();
        try (Stream<Path> s = Files.list(state)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("run-"));
        }
        VmCommandsIT.Run nothing = cli("umount", dir.toString());
        assertThat(nothing.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(nothing.err()).contains("is not mounted by stillpoint");
    }

    /** What {@code restore --files /srv/tree /etc/hostname /var/log/app.log --to out} must leave in {@code out}. */
    private static void assertRestored(VmCommandsIT.Run r, Path out) throws Exception {
        assertThat(r.code()).as(r.err()).isZero();
        Map<String, Object> summary = r.last();
        // tree: dir, sub, deep.txt, hello.txt, hello-link, 3 symlinks, sparse.bin, suid, odd name = 11 (the FIFO
        // skipped); +2 files
        assertThat(summary).containsEntry("type", "summary").containsEntry("skipped", 1);
        assertThat(((Number) summary.get("files")).intValue()).isEqualTo(11);
        assertThat(r.err()).contains("skipped FIFO");
        assertThat(out.resolve("etc/hostname")).hasContent("files-it");
        assertThat(out.resolve("var/log/app.log")).hasContent("on xfs");
        Path tree = out.resolve("srv/tree");
        Path hello = tree.resolve("hello.txt");
        assertThat(hello).hasContent("hello");
        assertThat(Files.getAttribute(hello, "unix:mode")).isEqualTo(0100640);
        if ("root".equals(System.getProperty("user.name"))) {
            assertThat(Files.getAttribute(hello, "unix:uid")).isEqualTo(1234);
            assertThat(Files.getAttribute(hello, "unix:gid")).isEqualTo(5678);
            assertThat((int) Files.getAttribute(tree.resolve("suid"), "unix:mode") & 07777)
                    .isEqualTo(04755);
        }
        assertThat(Files.getLastModifiedTime(hello)).isEqualTo(FileTime.fromMillis(GuestImages.HELLO_MTIME * 1000));
        assertThat(Files.getAttribute(tree.resolve("hello-link"), "unix:ino"))
                .isEqualTo(Files.getAttribute(hello, "unix:ino"));
        assertThat(Files.readSymbolicLink(tree.resolve("rel-link"))).isEqualTo(Path.of("hello.txt"));
        assertThat(Files.readSymbolicLink(tree.resolve("abs-link"))).isEqualTo(Path.of("/etc/hostname"));
        assertThat(Files.readSymbolicLink(tree.resolve("dir-link"))).isEqualTo(Path.of("../../etc"));
        Path sparse = tree.resolve("sparse.bin");
        assertThat(Files.size(sparse)).isEqualTo(64L << 20);
        long allocated = Long.parseLong(
                        HostPrograms.run("stat", "-c", "%b", sparse.toString()).strip())
                * 512;
        assertThat(allocated).as("allocated bytes of the sparse file").isLessThan(1 << 20);
        byte[] data = new byte[4];
        try (var ch = java.nio.channels.FileChannel.open(sparse)) {
            ch.read(java.nio.ByteBuffer.wrap(data), 1 << 20);
        }
        assertThat(new String(data)).isEqualTo("data");
        assertThat(tree.resolve(GuestImages.ODD_NAME)).hasContent("odd");
        assertThat(tree.resolve("sub/deep.txt")).hasContent("deep");
        assertThat(tree.resolve("fifo")).doesNotExist();
        assertThat(Files.getAttribute(tree, "unix:mode")).isEqualTo(040755);
    }

    // ---- --host-kernel: the same commands through the host's kernel (loop devices, mounts) --------

    /** Loop devices, mounts and qemu-storage-daemons of this test's file-restore runs still there. */
    private static List<String> hostKernelLeftovers() throws Exception {
        String tmpDir = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath() + "/stillpoint-";
        java.util.function.Predicate<String> ours = t ->
                t.contains(tmpDir + "files-") || t.contains(tmpDir + "mount-") || t.contains(tmpDir + "restore-files-");
        List<String> out = new java.util.ArrayList<>();
        try (Stream<Path> loops = Files.list(Path.of("/sys/block"))) {
            for (Path l : loops.filter(p -> p.getFileName().toString().startsWith("loop"))
                    .toList()) {
                Path back = l.resolve("loop/backing_file");
                if (Files.exists(back) && ours.test(Files.readString(back))) out.add("loop " + l.getFileName());
            }
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo")))
            if (ours.test(line)) out.add("mount " + line);
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("[0-9]+"))
                    .toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(proc.resolve("cmdline"))).replace('\0', ' ');
                    if (cmd.startsWith("qemu-storage-daemon") && ours.test(cmd)) out.add("process " + cmd);
                } catch (java.io.IOException gone) {
                    // exited meanwhile
                }
            }
        }
        return out;
    }

    @Test
    void hostKernelListsFindsAndRestoresWhatItCanAndNamesWhatItCannot() throws Exception {
        Set<Path> before = ourTempDirs();
        VmCommandsIT.Run root = files("/", "--json", "--host-kernel");
        assertThat(root.code()).as(root.err()).isZero();
        assertThat(root.err())
                .contains("--host-kernel: the guest's filesystems are parsed by the host kernel")
                .contains("vdd is an LVM physical volume")
                .contains("vde is an LVM physical volume")
                .contains("run without --host-kernel");
        // these hosts' kernels have ext4, xfs and btrfs but no vfat: the whole-disk vfat is named, not shown
        boolean vfat = Files.readString(Path.of("/proc/filesystems")).contains("\tvfat\n");
        if (!vfat)
            assertThat(root.err())
                    .contains("cannot mount vdc (vfat): the host kernel has no vfat driver; run without --host-kernel");
        Map<String, Object> summary = root.lines().getLast();
        assertThat(summary).containsEntry("entries", vfat ? 7 : 6);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> fss = (List<Map<String, Object>>) summary.get("filesystems");
        assertThat(fss)
                .extracting(m -> m.get("device") + " " + m.get("type") + " " + m.get("mountPoint") + " " + m.get("uuid")
                        + " " + m.get("label"))
                .contains("vda2 xfs /var " + GuestImages.XFS_UUID + " null")
                .anyMatch(f -> f.startsWith("vda1 ext4 / ") && f.endsWith(" root"));
        assertThat(fss)
                .extracting(m -> m.get("device") + " " + m.get("type") + " " + m.get("mountPoint"))
                .containsExactlyInAnyOrderElementsOf(
                        vfat
                                ? List.of(
                                        "vda1 ext4 /",
                                        "vda2 xfs /var",
                                        "vdb1 ext4 /home",
                                        "vdc vfat /.stillpoint/unplaced/vdc",
                                        "vdf btrfs /opt")
                                : List.of("vda1 ext4 /", "vda2 xfs /var", "vdb1 ext4 /home", "vdf btrfs /opt"));

        VmCommandsIT.Run found = files("--find", "*", "--json", "--host-kernel");
        assertThat(found.code()).as(found.err()).isZero();
        Map<String, Map<String, Object>> byPath = found.lines().stream()
                .filter(m -> "entry".equals(m.get("type")))
                .collect(Collectors.toMap(m -> (String) m.get("path"), Function.identity()));
        assertThat(byPath.get("/var/log/app.log")).containsEntry("size", 7).containsEntry("kind", "file");
        assertThat(byPath.get("/home/user/notes.txt")).containsEntry("size", 16);
        assertThat(byPath.containsKey("/.stillpoint/unplaced/vdc/EFI/BOOT/BOOTX64.EFI"))
                .isEqualTo(vfat);
        assertThat(byPath).doesNotContainKey("/missing");
        assertThat(byPath.get("/opt/in-subvol.txt"))
                .containsEntry("size", 6); // btrfs subvolume @opt, not the top level
        assertThat(byPath).doesNotContainKey("/opt/top-level.txt");
        assertThat(byPath.get("/srv/tree/hello.txt"))
                .containsEntry("mode", "0640")
                .containsEntry("uid", 1234)
                .containsEntry("gid", 5678)
                .containsEntry("links", 2)
                .containsEntry("mtime", "2020-09-13T12:26:40Z");
        assertThat(byPath.get("/srv/tree/rel-link"))
                .containsEntry("kind", "symlink")
                .containsEntry("target", "hello.txt");
        assertThat(byPath.get("/srv/tree/sparse.bin")).containsEntry("size", 64 << 20);
        assertThat(byPath.get("/srv/tree/suid")).containsEntry("mode", "4755");
        assertThat(byPath.get("/srv/tree/fifo")).containsEntry("kind", "fifo");
        assertThat(byPath).containsKey("/srv/tree/" + GuestImages.ODD_NAME);

        VmCommandsIT.Run missing = files("/no/such/dir", "--host-kernel");
        assertThat(missing.code()).isEqualTo(ExitCodes.PATH_NOT_FOUND).isEqualTo(30);
        assertThat(missing.err()).contains("no /no/such/dir in backup");

        Path out = tmp.resolve("out-host");
        VmCommandsIT.Run r = restoreTree(out, "--host-kernel");
        assertRestored(r, out);
        assertThat(ourTempDirs()).isEqualTo(before);
        assertThat(hostKernelLeftovers()).isEmpty();
    }

    @Test
    void anUnreplayedJournalIsReplayedIntoTheOverlayAndADamagedTableIsNamedOnBothPaths() throws Exception {
        for (boolean hostKernel : new boolean[] {false, true}) {
            List<String> args = new java.util.ArrayList<>(List.of(
                    "files",
                    dirtyId,
                    "/",
                    "--repo",
                    repo.toString(),
                    "--password-file",
                    passwordFile.toString(),
                    "--json"));
            if (hostKernel) args.add("--host-kernel");
            VmCommandsIT.Run r = cli(args.toArray(String[]::new));
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.err())
                    .as("host kernel: " + hostKernel)
                    .contains("disk vdb: partition table damaged: GPT damaged (header CRC mismatch; backup GPT: "
                            + "header CRC mismatch)");
            assertThat(r.lines())
                    .filteredOn(m -> "/committed.txt".equals(m.get("path")))
                    .as("the committed file, after the journal's replay (host kernel: " + hostKernel + ")")
                    .singleElement()
                    .satisfies(m -> assertThat(m).containsEntry("size", GuestImages.COMMITTED_SIZE));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> fss = (List<Map<String, Object>>) r.last().get("filesystems");
            assertThat(fss)
                    .extracting(m -> m.get("device") + " " + m.get("mountPoint"))
                    .containsExactly("vda /");
        }
        // the backup itself was not written: its image still needs recovery
        Path back = tmp.resolve("dirty-back");
        VmCommandsIT.Run whole = cli(
                "restore",
                dirtyId,
                "--repo",
                repo.toString(),
                "--password-file",
                passwordFile.toString(),
                "--to",
                back.toString(),
                "--format",
                "raw");
        assertThat(whole.code()).as(whole.err()).isZero();
        try (Stream<Path> s = Files.list(back)) {
            Path vda = s.filter(p -> p.getFileName().toString().contains("vda"))
                    .findFirst()
                    .orElseThrow();
            assertThat(HostPrograms.run("dumpe2fs", "-h", vda.toString())).contains("needs_recovery");
        }
        assertThat(hostKernelLeftovers()).isEmpty();
    }

    /** A {@code stillpoint mount --host-kernel} in its own JVM, after its ready line. */
    private static Process startHostKernelMount(Path dir) throws Exception {
        return startMount(dir, true);
    }

    @Test
    void hostKernelMountUntilUmountAndAKilledOneIsCleanedByTheNextRun() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("mnt-host"));
        Process mount = startHostKernelMount(dir);
        try {
            String why = "mount's stderr: " + Files.readString(lastMountErr);
            assertThat(dir.resolve("etc/hostname")).as(why).hasContent("files-it");
            assertThat(dir.resolve("var/log/app.log")).as(why).hasContent("on xfs");
            assertThat(dir.resolve("opt/in-subvol.txt")).as(why).hasContent("btrfs");
            assertThatThrownBy(() -> Files.writeString(dir.resolve("etc/new"), "x"))
                    .isInstanceOf(java.io.IOException.class);
            assertThat(hostKernelLeftovers())
                    .anyMatch(l -> l.startsWith("loop "))
                    .anyMatch(l -> l.startsWith("process "));
            umountLive(mount, dir);
            assertThat(hostKernelLeftovers()).isEmpty();
        } finally {
            mount.destroyForcibly();
        }

        killWhileMounted(startHostKernelMount(dir), dir);
        assertThat(hostKernelLeftovers()).isNotEmpty();
        VmCommandsIT.Run next = cli("umount", dir.toString());
        assertThat(next.code()).as(next.err()).isZero();
        assertThat(next.err())
                .contains("unmounted " + dir)
                .contains("detached the loop devices and stopped qemu-storage-daemon");
        assertThat(dev.stillpoint.engine.runs.FuseMounts.mounted(dir.toString()))
                .isFalse();
        assertThat(hostKernelLeftovers()).isEmpty();
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void historyListsThePointsHoldingAPathWithItsSizeAndMtimeInEach() throws Exception {
        // a second point of sp-files-dirty in which /later.txt exists and /etc/hostname changed
        Path mnt = Files.createDirectories(tmp.resolve("history-mnt"));
        HostPrograms.run("mount", "-o", "loop", tmp.resolve("j1.img").toString(), mnt.toString());
        try {
            Files.writeString(mnt.resolve("later.txt"), "written later\n");
            Files.writeString(mnt.resolve("etc/hostname"), "dirty-it-renamed\n");
        } finally {
            HostPrograms.run("umount", mnt.toString());
        }
        VmCommandsIT.Run second = backup("sp-files-dirty");
        assertThat(second.code()).as(second.err()).isZero();
        String secondId = (String) second.last().get("backupId");

        VmCommandsIT.Run later = cli(
                "files",
                "--history",
                "sp-files-dirty",
                "/later.txt",
                "--repo",
                repo.toString(),
                "--password-file",
                passwordFile.toString(),
                "--json",
                "--host-kernel");
        assertThat(later.code()).as(later.err()).isZero();
        assertThat(later.lines())
                .filteredOn(m -> "point".equals(m.get("type")))
                .extracting(m -> m.get("backupId") + " " + m.get("present") + " " + m.get("size"))
                .containsExactly(secondId + " true 14", dirtyId + " false null"); // newest first
        assertThat(later.last())
                .containsEntry("points", 2)
                .containsEntry("holding", 1)
                .containsEntry("path", "/later.txt");

        VmCommandsIT.Run hostname = cli(
                "files",
                "--history",
                "sp-files-dirty",
                "/etc/hostname",
                "--repo",
                repo.toString(),
                "--password-file",
                passwordFile.toString(),
                "--host-kernel");
        assertThat(hostname.code()).as(hostname.err()).isZero();
        assertThat(hostname.out())
                .contains(secondId + "  -rw-r--r--           17")
                .contains(dirtyId + "  -rw-r--r--            9")
                .contains("2 of 2 restore points of sp-files-dirty hold /etc/hostname");

        VmCommandsIT.Run none = cli(
                "files",
                "--history",
                "no-such-domain",
                "/etc",
                "--repo",
                repo.toString(),
                "--password-file",
                passwordFile.toString(),
                "--host-kernel");
        assertThat(none.code()).isEqualTo(ExitCodes.BACKUP_NOT_FOUND);
        assertThat(hostKernelLeftovers()).isEmpty();
    }
}
