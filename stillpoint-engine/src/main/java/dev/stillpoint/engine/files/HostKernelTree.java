package dev.stillpoint.engine.files;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.export.BackupExport;
import dev.stillpoint.engine.runs.FuseMounts;
import dev.stillpoint.engine.runs.HostKernelSteps;
import dev.stillpoint.qemu.qcow2.Qcow2Empty;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The {@code --host-kernel} {@link GuestTree}: the host's kernel parses the guest's filesystems
 * (faster: no appliance to boot, but an untrusted filesystem image reaches the host kernel's
 * filesystem code as root; hence an explicit option, mounts {@code ro,nodev,nosuid,noexec}).
 *
 * <p>The chain, every step recorded in the work directory ({@link HostKernelSteps}) before it is
 * taken and undone in reverse by {@link #close()} or by the next run's orphan recovery: one
 * {@code qemu-storage-daemon} reads each disk from the in-process NBD export through a qcow2
 * copy-on-write overlay in the work directory (a journal left unreplayed by a crash-consistent
 * point is replayed into the overlay, never into the backup) and exports it as a file over FUSE;
 * one loop device per filesystem at its partition's offset (partition tables are read in Java:
 * these hosts' loop driver makes no partition devices); read-only mounts under
 * {@code WORK/root}. LVM needs device-mapper, which these host kernels lack: LVM volumes are
 * reported and left to the default (appliance) path.
 */
final class HostKernelTree implements GuestTree {
    private static final String MOUNT_OPTIONS = "ro,nodev,nosuid,noexec";
    private static final String PACKAGES = "qemu-system-x86 (qemu-storage-daemon), qemu-utils, util-linux, mount";

    private final Path workDir;
    private final Path root;
    private final HostKernelSteps steps;
    private final FilesListener listener;
    private final List<Path> exports = new ArrayList<>();
    private final List<BackupExport.Disk> disks;
    /** Appliance-style device name → byte range on an export. */
    private final Map<String, long[]> regions = new HashMap<>();

    private final Map<String, String> loops = new HashMap<>();
    private volatile Path mountedOn;

    private HostKernelTree(Path workDir, List<BackupExport.Disk> disks, FilesListener listener) {
        this.workDir = workDir;
        this.root = workDir.resolve("root");
        this.steps = new HostKernelSteps(workDir);
        this.disks = disks;
        this.listener = listener;
    }

    /** Starts the daemon that exports each of {@code disks} (served at {@code socket}) as a file with a copy-on-write overlay. */
    static HostKernelTree start(List<BackupExport.Disk> disks, Path socket, Path workDir, FilesListener listener)
            throws EngineException {
        HostKernelTree t = new HostKernelTree(workDir, disks, listener);
        try {
            t.startDaemon(socket);
            return t;
        } catch (EngineException | RuntimeException e) {
            t.close();
            throw e;
        }
    }

    private void startDaemon(Path socket) throws EngineException {
        listener.phase("host-kernel");
        try {
            Files.createDirectory(
                    root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            List<String> cmd = new ArrayList<>(List.of("qemu-storage-daemon"));
            for (int i = 0; i < disks.size(); i++) {
                BackupExport.Disk d = disks.get(i);
                Path overlay = workDir.resolve("overlay-" + i + ".qcow2");
                Path export = workDir.resolve("disk-" + i);
                if (Qcow2Empty.supports(d.size())) Qcow2Empty.create(overlay, d.size()); // as qemu-img create writes it
                else
                    run(List.of(
                            "qemu-img", "create", "-q", "-f", "qcow2", overlay.toString(), Long.toString(d.size())));
                Files.createFile(export);
                steps.record("export", export.toString());
                exports.add(export);
                cmd.addAll(List.of(
                        "--blockdev",
                        "driver=nbd,node-name=nbd" + i + ",server.type=unix,server.path=" + opt(socket.toString())
                                + ",export=" + opt(d.name()) + ",read-only=on",
                        "--blockdev",
                        "driver=qcow2,node-name=cow" + i + ",file.driver=file,file.filename=" + opt(overlay.toString())
                                + ",backing=nbd" + i,
                        "--export",
                        "type=fuse,id=export" + i + ",node-name=cow" + i + ",mountpoint=" + opt(export.toString())
                                + ",writable=on"));
            }
            Path pidFile = workDir.resolve("qemu-storage-daemon.pid");
            cmd.addAll(List.of("--daemonize", "--pidfile", pidFile.toString()));
            Path log = workDir.resolve("qemu-storage-daemon.log");
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            // --daemonize: the parent exits once the exports are up
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new EngineException(
                        Code.TOOL_FAILED,
                        "qemu-storage-daemon cannot export the disks: "
                                + Files.readString(log).strip());
            }
            steps.record("daemon", Files.readString(pidFile).strip());
        } catch (IOException e) {
            throw new EngineException(
                    Code.TOOL_FAILED, "host-kernel path: " + e.getMessage() + " (install " + PACKAGES + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException(Code.CANCELLED, "interrupted starting qemu-storage-daemon");
        }
    }

    /** A QEMU option value: commas doubled. */
    private static String opt(String s) {
        return s.replace(",", ",,");
    }

    @Override
    public List<Placement.Filesystem> filesystems(
            Map<Integer, List<PartitionTable.Partition>> partitions, Function<String, String> guestName)
            throws EngineException {
        List<Placement.Filesystem> all = new ArrayList<>();
        for (int i = 0; i < disks.size(); i++) {
            List<PartitionTable.Partition> parts = partitions.get(i);
            if (parts == null) continue; // damaged table: GuestFiles warned
            String disk = "/dev/sd" + GuestFiles.letters(i);
            List<PartitionTable.Partition> regions = parts.isEmpty()
                    ? List.of(new PartitionTable.Partition(0, 0, disks.get(i).size()))
                    : parts;
            for (PartitionTable.Partition p : regions) {
                String dev = p.number() == 0 ? disk : disk + p.number();
                Map<String, String> probe = probe(exports.get(i), p.offset(), p.size());
                String type = probe.get("TYPE");
                if (type == null || type.equals("swap")) continue;
                if (type.equals("LVM2_member")) {
                    listener.warning(guestName.apply(dev) + " is an LVM physical volume: the host kernel here has no "
                            + "device-mapper, so --host-kernel cannot activate its volumes; run without --host-kernel "
                            + "(the appliance has its own kernel) to see them");
                    continue;
                }
                if (!"filesystem".equals(probe.getOrDefault("USAGE", "filesystem"))) {
                    listener.warning(guestName.apply(dev) + " holds " + type + ", which --host-kernel cannot open; "
                            + "run without --host-kernel");
                    continue;
                }
                this.regions.put(dev, new long[] {i, p.offset(), p.size()});
                all.add(new Placement.Filesystem(
                        dev, guestName.apply(dev), type, probe.get("UUID"), probe.get("LABEL")));
            }
        }
        return all;
    }

    /** {@link FilesystemProbe} on the exported file, else (a signature it does not know, or several) blkid. */
    private static Map<String, String> probe(Path file, long offset, long size) throws EngineException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Map<String, String> known = FilesystemProbe.probe(
                    (at, length) -> {
                        ByteBuffer b = ByteBuffer.allocate(length);
                        while (b.hasRemaining()) if (ch.read(b, at + b.position()) < 0) break;
                        return b.flip();
                    },
                    offset,
                    size);
            if (known != null) return known;
        } catch (IOException e) {
            // unreadable here: blkid says what it can
        }
        return blkid(file, offset, size);
    }

    private static Map<String, String> blkid(Path file, long offset, long size) throws EngineException {
        Map<String, String> out = new HashMap<>();
        String text;
        try {
            Process p = new ProcessBuilder(
                            "blkid",
                            "-p",
                            "-o",
                            "export",
                            "-O",
                            Long.toString(offset),
                            "-S",
                            Long.toString(size),
                            file.toString())
                    .redirectErrorStream(true)
                    .start();
            text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(60, TimeUnit.SECONDS);
            if (p.exitValue() == 2) return out; // nothing recognized
            if (p.exitValue() != 0) return out; // ambivalent or unreadable: not mountable here
        } catch (IOException e) {
            throw new EngineException(Code.TOOL_FAILED, "blkid: " + e.getMessage() + " (install " + PACKAGES + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException(Code.CANCELLED, "interrupted probing " + file);
        }
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) out.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return out;
    }

    private Path host(String path) {
        return inside(root, path);
    }

    /** The host path of tree path {@code path} under {@code root}: leading slashes and dot-dots cannot leave it. */
    static Path inside(Path root, String path) {
        String relative = path.replaceFirst("^/+", "");
        Path p = relative.isEmpty() ? root : root.resolve(relative).normalize();
        if (!p.startsWith(root)) throw new IllegalArgumentException("tree path " + path + " leaves the tree");
        return p;
    }

    @Override
    public void mkdir(String path) throws EngineException {
        try {
            Files.createDirectories(host(path));
        } catch (IOException e) {
            throw new EngineException(Code.TOOL_FAILED, "cannot create " + host(path) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void mount(String device, String type, String subvolume, String at) throws EngineException {
        long[] region = regions.get(device);
        if (region == null) throw new EngineException(Code.TOOL_FAILED, "no filesystem " + device);
        Path target = host(at);
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS))
            throw new EngineException(Code.TOOL_FAILED, "no directory " + at + " to mount on");
        try {
            String loop = loops.get(device);
            if (loop == null) {
                // read-write onto the overlay: the kernel replays a journal there (a read-only mount of a dirty
                // ext4/xfs would need it)
                loop = run(List.of(
                                "losetup",
                                "--find",
                                "--show",
                                "--offset",
                                Long.toString(region[1]),
                                "--sizelimit",
                                Long.toString(region[2]),
                                exports.get((int) region[0]).toString()))
                        .strip();
                steps.record("loop", loop);
                loops.put(device, loop);
            }
            steps.record("mount", target.toString());
            run(List.of(
                    "mount",
                    "-t",
                    type,
                    "-o",
                    MOUNT_OPTIONS
                            // xfs refuses a UUID already mounted (another point of the same guest, a clone)
                            + (type.equals("xfs") ? ",nouuid" : "")
                            + (subvolume != null ? ",subvol=" + subvolume : ""),
                    loop,
                    target.toString()));
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("unknown filesystem type"))
                throw new EngineException(
                        Code.TOOL_FAILED,
                        "the host kernel has no " + type + " driver; run without --host-kernel (the appliance has one)",
                        e);
            throw new EngineException(Code.TOOL_FAILED, "mount " + device + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void umount(String at) throws EngineException {
        try {
            run(List.of("umount", host(at).toString()));
        } catch (IOException e) {
            throw new EngineException(Code.TOOL_FAILED, "umount " + at + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean isFile(String path) {
        return Files.isRegularFile(host(path), LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public String readFile(String path) throws EngineException {
        try {
            return Files.readString(host(path), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw failed(path, e);
        }
    }

    @Override
    public Guestfs.Stat lstat(String path) throws EngineException {
        try {
            Map<String, Object> a = Files.readAttributes(
                    host(path), "unix:mode,uid,gid,size,nlink,ino,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
            Instant mtime = ((FileTime) a.get("lastModifiedTime")).toInstant();
            return new Guestfs.Stat(
                    ((Integer) a.get("mode")).longValue(),
                    ((Integer) a.get("uid")).longValue(),
                    ((Integer) a.get("gid")).longValue(),
                    (Long) a.get("size"),
                    0,
                    mtime.getEpochSecond(),
                    mtime.getNano(),
                    ((Integer) a.get("nlink")).longValue(),
                    (Long) a.get("ino"));
        } catch (IOException e) {
            throw failed(path, e);
        }
    }

    @Override
    public Guestfs.Stat[] lstatList(String dir, String[] names) throws EngineException {
        Guestfs.Stat[] out = new Guestfs.Stat[names.length];
        for (int i = 0; i < names.length; i++) out[i] = lstat(GuestPath.join(dir, names[i]));
        return out;
    }

    @Override
    public String[] ls(String dir) throws EngineException {
        try (var s = Files.list(host(dir))) {
            return s.map(p -> p.getFileName().toString()).toArray(String[]::new);
        } catch (IOException e) {
            throw failed(dir, e);
        }
    }

    @Override
    public String readlink(String path) throws EngineException {
        try {
            return Files.readSymbolicLink(host(path)).toString();
        } catch (IOException e) {
            throw failed(path, e);
        }
    }

    @Override
    public String[] readlinkList(String dir, String[] names) throws EngineException {
        String[] out = new String[names.length];
        for (int i = 0; i < names.length; i++) out[i] = readlink(GuestPath.join(dir, names[i]));
        return out;
    }

    @Override
    public String[] find(String dir) throws EngineException {
        Path base = host(dir);
        List<String> out = new ArrayList<>();
        try {
            Files.walkFileTree(base, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    if (!d.equals(base)) out.add(base.relativize(d).toString());
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                    out.add(base.relativize(f).toString());
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) {
                    if (!f.equals(base)) out.add(base.relativize(f).toString());
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw failed(dir, e);
        }
        return out.toArray(String[]::new);
    }

    @Override
    public void tarOut(String path, Path fifo) throws EngineException {
        try {
            Process p = new ProcessBuilder("tar", "-C", host(path).toString(), "--numeric-owner", "-cf", "-", ".")
                    .redirectOutput(fifo.toFile())
                    .redirectError(ProcessBuilder.Redirect.PIPE)
                    .start();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor() != 0) throw new EngineException(Code.TOOL_FAILED, "tar of " + path + ": " + err);
        } catch (IOException e) {
            throw failed(path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException(Code.CANCELLED, "interrupted copying " + path);
        }
    }

    @Override
    public java.io.InputStream open(String path) throws EngineException {
        try {
            return Files.newInputStream(host(path), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw failed(path, e);
        }
    }

    @Override
    public void download(String path, Path fifo) throws EngineException {
        try (OutputStream out = Files.newOutputStream(fifo, StandardOpenOption.WRITE)) {
            Files.copy(host(path), out);
        } catch (IOException e) {
            throw failed(path, e);
        }
    }

    @Override
    public void mountOn(Path dir) throws EngineException {
        try {
            steps.record("mount", dir.toString());
            run(List.of("mount", "--rbind", root.toString(), dir.toString()));
            mountedOn = dir;
        } catch (IOException e) {
            throw new EngineException(Code.TOOL_FAILED, "mount on " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void serveMount() throws EngineException {
        Path dir = mountedOn;
        try {
            while (dir != null && FuseMounts.mounted(dir.toString())) Thread.sleep(250);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException(Code.CANCELLED, "interrupted");
        }
    }

    /** Mounts, loop devices, daemon, in reverse ({@link HostKernelSteps#undo}); failures become warnings. */
    @Override
    public synchronized void close() {
        for (String left : HostKernelSteps.undo(workDir)) listener.warning("host-kernel cleanup: " + left);
    }

    private EngineException failed(String path, IOException e) {
        return new EngineException(Code.TOOL_FAILED, path + ": " + e.getMessage(), e);
    }

    /** Runs a helper; its stdout, or an IOException with its output when it fails. */
    private static String run(List<String> command) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.PIPE)
                    .start();
        } catch (IOException e) {
            throw new IOException(command.getFirst() + " is not installed (" + PACKAGES + "): " + e.getMessage(), e);
        }
        try {
            var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return "";
                }
            });
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(command.getFirst() + " did not return in 120 s");
            }
            if (p.exitValue() != 0)
                throw new IOException(String.join(" ", command.subList(0, Math.min(2, command.size()))) + ": "
                        + err.join().strip());
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + command.getFirst(), e);
        }
    }
}
