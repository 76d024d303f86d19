package dev.stillpoint.engine.files;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.export.BackupExport;
import dev.stillpoint.engine.runs.OrphanRecovery;
import dev.stillpoint.repository.Repository;
import java.io.IOException;
import java.io.InputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files of one restore point, read without restoring its disks: the backup is served over
 * NBD in-process ({@link BackupExport}, on a socket in a private temporary directory), one
 * libguestfs appliance reads every disk (its own kernel parses the untrusted filesystems; the
 * drives are read-only with a copy-on-write overlay, so a journal left unreplayed by a crash-
 * consistent point is replayed there and never written to the backup), and the filesystems are
 * mounted where the guest's {@code /etc/fstab} puts them ({@link Placement}).
 *
 * <p>Inside the appliance the guest's root is mounted at {@code /guest} and each unplaced
 * filesystem at {@code /unplaced/<device>}; guest paths are resolved component by component here,
 * with guest symlinks resolved against the guest's root (never the appliance's).
 *
 * <p>{@link #close()} undoes everything in reverse: the appliance (its qemu), the export, the
 * temporary directory; it may be called from a shutdown hook while a call is in flight (it kills
 * the appliance's qemu first so the call fails at once).
 */
public final class GuestFiles implements AutoCloseable {
    private static final String GUEST = "/guest";
    private static final String UNPLACED_DIR = "/unplaced";
    private static final int BATCH = 1000;
    private static final Pattern GUEST_DISK = Pattern.compile("/dev/(x?vd|sd|hd)([a-z]+)([0-9]*)");

    /** A filesystem and where it went: {@code mountPoint} a guest path, or under {@link Placement#UNPLACED}. */
    public record MountedFilesystem(String device, String type, String uuid, String label, String mountPoint) {}

    /** What a {@link #restore} copied. */
    public record RestoreSummary(long files, long bytes, long skipped, long millis) {}

    private final BackupRecord backup;
    private final Layout layout;
    private final FilesListener listener;
    private final Path tempDir;
    private final BackupExport export;
    private final List<MountedFilesystem> filesystems = new ArrayList<>();
    private final Map<String, String> unplacedRoots = new LinkedHashMap<>();
    private volatile GuestTree tree;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private GuestFiles(
            BackupRecord backup,
            FilesListener listener,
            Path tempDir,
            BackupExport export,
            GuestTree g,
            Layout layout) {
        this.layout = layout;
        this.backup = backup;
        this.listener = listener;
        this.tempDir = tempDir;
        this.export = export;
        this.tree = g;
    }

    /** How the guest's tree is laid out in the appliance. */
    public enum Layout {
        /** Root at /guest, unplaced filesystems at /unplaced/DEV: every filesystem reachable (files, restore --files). */
        BROWSE,
        /** Root at the appliance's /, as {@code mount_local} shows it; unplaced filesystems are left out (mount). */
        MOUNT
    }

    /**
     * Serves {@code backup}'s disks from {@code repository} (kept open by the caller), launches the
     * appliance and mounts the guest's filesystems; everything made so far is undone if a step fails.
     * A private temporary directory holds the socket and the appliance's overlays.
     */
    public static GuestFiles open(Repository repository, BackupRecord backup, FilesListener listener)
            throws EngineException, IOException {
        return open(repository, backup, null, Layout.BROWSE, listener);
    }

    /**
     * As {@link #open(Repository, BackupRecord, FilesListener)}, in {@code workDir} (created here,
     * {@code rwx------}, removed by {@link #close()}; a run journal names it first) or a fresh
     * temporary directory when null.
     */
    public static GuestFiles open(
            Repository repository, BackupRecord backup, Path workDir, Layout layout, FilesListener listener)
            throws EngineException, IOException {
        return open(repository, backup, workDir, layout, false, listener);
    }

    /**
     * As {@link #open(Repository, BackupRecord, Path, Layout, FilesListener)}; {@code hostKernel}
     * reads the filesystems with the host's kernel ({@link HostKernelTree}: loop devices and
     * read-only mounts, no appliance to boot; the guest's filesystems are untrusted input to the
     * host kernel) instead of a libguestfs appliance.
     */
    public static GuestFiles open(
            Repository repository,
            BackupRecord backup,
            Path workDir,
            Layout layout,
            boolean hostKernel,
            FilesListener listener)
            throws EngineException, IOException {
        var mode = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
        Path temp = workDir != null
                ? Files.createDirectory(workDir, mode)
                : Files.createTempDirectory("stillpoint-files-", mode);
        BackupExport export = null;
        GuestFiles files = null;
        try {
            listener.phase("export");
            export = BackupExport.open(repository, backup, null, BackupExport.DEFAULT_CACHE_BYTES);
            Map<Integer, List<PartitionTable.Partition>> partitions = partitions(export, listener);
            Path socket = temp.resolve("nbd.sock");
            export.listen(UnixDomainSocketAddress.of(socket));
            files = new GuestFiles(backup, listener, temp, export, null, layout);
            files.tree = hostKernel
                    ? HostKernelTree.start(export.disks(), socket, temp, listener)
                    : ApplianceTree.launch(export.disks(), socket, temp, listener);
            if (files.closed.get()) throw new EngineException(Code.CANCELLED, "cancelled");
            files.mountAll(partitions);
            return files;
        } catch (EngineException | IOException | RuntimeException e) {
            if (files != null) files.close();
            else closeQuietly(null, export, temp);
            throw e;
        }
    }

    /**
     * Each disk's partitions (index in the export's disks), read before anything is served; a
     * damaged table maps to null and is reported naming the disk: the other disks stay browsable.
     */
    private static Map<Integer, List<PartitionTable.Partition>> partitions(BackupExport export, FilesListener listener)
            throws IOException {
        Map<Integer, List<PartitionTable.Partition>> out = new HashMap<>();
        List<BackupExport.Disk> disks = export.disks();
        for (int i = 0; i < disks.size(); i++) {
            int index = i;
            try {
                out.put(
                        i,
                        PartitionTable.read(
                                        (offset, length) -> {
                                            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(length);
                                            export.read(index, offset, b);
                                            return b.flip();
                                        },
                                        disks.get(i).size())
                                .partitions());
            } catch (PartitionTable.DamagedException e) {
                out.put(i, null);
                listener.warning("disk " + disks.get(i).name() + ": partition table damaged: " + e.getMessage()
                        + "; its filesystems are not shown (the other disks are)");
            }
        }
        return out;
    }

    // ---- placing the filesystems --------------------------------------------------------------

    private void mountAll(Map<Integer, List<PartitionTable.Partition>> partitions) throws EngineException {
        listener.phase("mount");
        List<Placement.Filesystem> all = tree.filesystems(partitions, this::guestName);
        if (layout == Layout.BROWSE) {
            tree.mkdir(GUEST);
            tree.mkdir(UNPLACED_DIR);
        }
        String top = layout == Layout.BROWSE ? GUEST : "";
        String rootAt = top.isEmpty() ? "/" : top;
        // Each filesystem is tried where the guest's root goes until one holds /etc/fstab; that one
        // stays mounted there when the fstab puts it at / as it is (no subvolume): no remount.
        Placement.Filesystem root = null;
        Fstab fstab = new Fstab(List.of());
        for (Placement.Filesystem fs : all) {
            try {
                tree.mount(fs.device(), fs.type(), null, rootAt);
            } catch (EngineException e) {
                continue;
            }
            boolean keep = false;
            try {
                if (tree.isFile(GuestPath.join(rootAt, "etc/fstab"))) {
                    root = fs;
                    fstab = Fstab.parse(tree.readFile(GuestPath.join(rootAt, "etc/fstab")));
                    keep = true;
                    break;
                }
            } finally {
                if (!keep) tree.umount(rootAt);
            }
        }
        Placement placement = Placement.decide(all, root, fstab, this::applianceDevice);
        Placement.Mount first =
                placement.mounts().isEmpty() ? null : placement.mounts().get(0);
        boolean rootInPlace = root != null
                && first != null
                && first.mountPoint().equals("/")
                && first.fs().equals(root)
                && first.subvolume() == null;
        if (root != null && !rootInPlace) tree.umount(rootAt);
        List<Placement.Filesystem> unplaced = new ArrayList<>(placement.unplaced());
        for (Placement.Mount m : placement.mounts()) {
            String at = m.mountPoint().equals("/") ? rootAt : top + m.mountPoint();
            try {
                if (!(rootInPlace && m == first)) tree.mount(m.fs().device(), m.fs().type(), m.subvolume(), at);
                filesystems.add(describe(m.fs(), m.mountPoint()));
            } catch (EngineException e) {
                listener.warning("cannot mount " + m.fs().guestName() + " at " + m.mountPoint() + " (" + e.getMessage()
                        + "); it is shown under " + Placement.UNPLACED + "/" + m.fs().guestName());
                unplaced.add(m.fs());
            }
        }
        if (layout == Layout.MOUNT) {
            for (Placement.Filesystem fs : unplaced) {
                listener.warning(
                        fs.guestName() + " (" + fs.type() + ") has no place in the guest's fstab and is not mounted; "
                                + "'stillpoint files' shows it under " + Placement.UNPLACED + "/" + fs.guestName());
            }
            unplaced.clear();
        }
        for (Placement.Filesystem fs : unplaced) {
            String at = UNPLACED_DIR + "/" + fs.guestName();
            try {
                tree.mkdir(at);
                tree.mount(fs.device(), fs.type(), null, at);
                unplacedRoots.put(fs.guestName(), at);
                filesystems.add(describe(fs, Placement.UNPLACED + "/" + fs.guestName()));
            } catch (EngineException e) {
                listener.warning("cannot mount " + fs.guestName() + " (" + fs.type() + "): " + e.getMessage());
            }
        }
        if (root == null)
            listener.warning("no filesystem of backup " + backup.id() + " holds /etc/fstab; every filesystem is under "
                    + Placement.UNPLACED);
    }

    private static MountedFilesystem describe(Placement.Filesystem fs, String mountPoint) {
        return new MountedFilesystem(fs.guestName(), fs.type(), fs.uuid(), fs.label(), mountPoint);
    }

    /** {@code /dev/sdb2} → {@code vdb2} (the backup's disk target), {@code /dev/vg/lv} → {@code vg-lv}. */
    String guestName(String device) {
        Matcher m = Pattern.compile("/dev/sd([a-z]+)([0-9]*)").matcher(device);
        if (m.matches()) {
            int index = letterIndex(m.group(1));
            List<BackupExport.Disk> disks = export.disks();
            if (index < disks.size()) return disks.get(index).name() + m.group(2);
        }
        String s = device.startsWith("/dev/") ? device.substring(5) : device;
        return s.replace('/', '-');
    }

    /** The appliance's device for a device name the guest used, or null. */
    String applianceDevice(String guestDevice) {
        Matcher m = GUEST_DISK.matcher(guestDevice);
        if (m.matches()) {
            String target =
                    guestDevice.substring(5, guestDevice.length() - m.group(3).length());
            List<BackupExport.Disk> disks = export.disks();
            int index = -1;
            for (int i = 0; i < disks.size(); i++) if (disks.get(i).name().equals(target)) index = i;
            if (index < 0)
                index = letterIndex(m.group(2)); // a guest naming its disks differently from libvirt's targets
            return index < disks.size() ? "/dev/sd" + letters(index) + m.group(3) : null;
        }
        if (guestDevice.startsWith("/dev/mapper/")) {
            String[] vgLv = guestDevice.substring("/dev/mapper/".length()).split("(?<!-)-(?!-)", 2);
            if (vgLv.length == 2) return "/dev/" + vgLv[0].replace("--", "-") + "/" + vgLv[1].replace("--", "-");
        }
        return guestDevice;
    }

    static int letterIndex(String letters) {
        int n = 0;
        for (char c : letters.toCharArray()) n = n * 26 + (c - 'a' + 1);
        return n - 1;
    }

    static String letters(int index) {
        StringBuilder b = new StringBuilder();
        for (int n = index + 1; n > 0; n = (n - 1) / 26) b.insert(0, (char) ('a' + (n - 1) % 26));
        return b.toString();
    }

    /** Chunks read from the repository so far to serve this view (partition tables, metadata, file data). */
    public BackupExport.ReadCount repositoryReads() {
        return export.readCount();
    }

    /** The filesystems found, with where each went. */
    public List<MountedFilesystem> filesystems() {
        return List.copyOf(filesystems);
    }

    // ---- paths --------------------------------------------------------------------------------

    /** Where a guest path lies in the appliance; {@code virtual} for /.stillpoint and /.stillpoint/unplaced. */
    private record Resolved(String guestPath, String appliancePath, boolean virtual) {}

    private Resolved resolve(String guestPath, boolean followLast) throws EngineException {
        String path = GuestPath.normalize(guestPath);
        if (path.equals("/.stillpoint") || path.equals(Placement.UNPLACED)) {
            if (unplacedRoots.isEmpty()) throw notFound(path);
            return new Resolved(path, null, true);
        }
        String fsRoot = GUEST;
        String rest = path;
        String guestRoot = "/";
        if (GuestPath.within(path, Placement.UNPLACED)) {
            String after = path.substring(Placement.UNPLACED.length() + 1);
            String name = after.contains("/") ? after.substring(0, after.indexOf('/')) : after;
            fsRoot = unplacedRoots.get(name);
            if (fsRoot == null) throw notFound(path);
            guestRoot = Placement.UNPLACED + "/" + name;
            rest = GuestPath.normalize(after.substring(name.length()));
        }
        Deque<String> todo = new ArrayDeque<>(Arrays.asList(rest.split("/")));
        todo.removeIf(String::isEmpty);
        String cur = "/";
        int links = 0;
        while (!todo.isEmpty()) {
            String c = todo.removeFirst();
            if (c.equals(".")) continue;
            if (c.equals("..")) {
                cur = GuestPath.parent(cur);
                continue;
            }
            String next = GuestPath.join(cur, c);
            String app = fsRoot + (next.equals("/") ? "" : next);
            Guestfs.Stat st;
            try {
                st = tree.lstat(app);
            } catch (EngineException e) {
                String missing = GuestPath.join(guestRoot, next.substring(1));
                throw new EngineException(
                        Code.GUEST_PATH_NOT_FOUND,
                        "no " + path + " in backup " + backup.id()
                                + (missing.equals(path) ? "" : " (" + missing + " does not exist)"));
            }
            if (GuestEntry.Kind.ofMode(st.mode()) == GuestEntry.Kind.SYMLINK && (followLast || !todo.isEmpty())) {
                if (++links > 40)
                    throw new EngineException(
                            Code.INVALID_ARGUMENT, "too many symlinks resolving " + path + " in backup " + backup.id());
                String target = tree.readlink(app);
                List<String> parts = new ArrayList<>(Arrays.asList(target.split("/")));
                parts.removeIf(String::isEmpty);
                for (int i = parts.size() - 1; i >= 0; i--) todo.addFirst(parts.get(i));
                if (target.startsWith("/")) cur = "/";
                continue;
            }
            cur = next;
        }
        String app = cur.equals("/") ? fsRoot : fsRoot + cur;
        return new Resolved(path, app, false);
    }

    private EngineException notFound(String path) {
        return new EngineException(Code.GUEST_PATH_NOT_FOUND, "no " + path + " in backup " + backup.id());
    }

    // ---- listing ------------------------------------------------------------------------------

    /** {@code path} itself when it is not a directory, else its entries sorted by name (symlinks to directories are followed). */
    public List<GuestEntry> list(String path) throws EngineException {
        Resolved r = resolve(path, true);
        if (r.virtual()) {
            if (r.guestPath().equals("/.stillpoint")) return List.of(virtualDir(Placement.UNPLACED));
            return unplacedRoots.keySet().stream()
                    .map(n -> virtualDir(Placement.UNPLACED + "/" + n))
                    .toList();
        }
        Guestfs.Stat st = tree.lstat(r.appliancePath());
        if (GuestEntry.Kind.ofMode(st.mode()) != GuestEntry.Kind.DIRECTORY) {
            String link = GuestEntry.Kind.ofMode(st.mode()) == GuestEntry.Kind.SYMLINK
                    ? tree.readlink(r.appliancePath())
                    : null;
            return List.of(entry(r.guestPath(), st, link));
        }
        String[] names = tree.ls(r.appliancePath());
        Arrays.sort(names);
        List<GuestEntry> out = new ArrayList<>(stat(r.guestPath(), r.appliancePath(), Arrays.asList(names)));
        if (r.guestPath().equals("/") && !unplacedRoots.isEmpty()) out.addFirst(virtualDir("/.stillpoint"));
        return out;
    }

    /** {@code path} itself (a symlink as the link), or empty when the point does not hold it. */
    public java.util.Optional<GuestEntry> entry(String path) throws EngineException {
        Resolved r;
        try {
            r = resolve(path, false);
        } catch (EngineException e) {
            if (e.code() == Code.GUEST_PATH_NOT_FOUND) return java.util.Optional.empty();
            throw e;
        }
        if (r.virtual()) return java.util.Optional.of(virtualDir(r.guestPath()));
        Guestfs.Stat st = tree.lstat(r.appliancePath());
        String link =
                GuestEntry.Kind.ofMode(st.mode()) == GuestEntry.Kind.SYMLINK ? tree.readlink(r.appliancePath()) : null;
        return java.util.Optional.of(entry(r.guestPath(), st, link));
    }

    private List<GuestEntry> stat(String guestDir, String applianceDir, List<String> names) throws EngineException {
        List<GuestEntry> out = new ArrayList<>(names.size());
        for (int from = 0; from < names.size(); from += BATCH) {
            String[] batch =
                    names.subList(from, Math.min(names.size(), from + BATCH)).toArray(String[]::new);
            Guestfs.Stat[] stats = tree.lstatList(applianceDir, batch);
            List<String> linkNames = new ArrayList<>();
            for (int i = 0; i < batch.length; i++)
                if (GuestEntry.Kind.ofMode(stats[i].mode()) == GuestEntry.Kind.SYMLINK) linkNames.add(batch[i]);
            Map<String, String> targets = new HashMap<>();
            if (!linkNames.isEmpty()) {
                String[] t = tree.readlinkList(applianceDir, linkNames.toArray(String[]::new));
                for (int i = 0; i < t.length; i++) targets.put(linkNames.get(i), t[i]);
            }
            for (int i = 0; i < batch.length; i++)
                out.add(entry(GuestPath.join(guestDir, batch[i]), stats[i], targets.get(batch[i])));
        }
        return out;
    }

    private static GuestEntry entry(String path, Guestfs.Stat st, String link) {
        return new GuestEntry(
                path,
                GuestEntry.Kind.ofMode(st.mode()),
                (int) (st.mode() & 07777),
                st.uid(),
                st.gid(),
                st.size(),
                Instant.ofEpochSecond(st.mtimeSec(), st.mtimeNsec()),
                st.nlink(),
                link);
    }

    private GuestEntry virtualDir(String path) {
        return new GuestEntry(path, GuestEntry.Kind.DIRECTORY, 0555, 0, 0, 0, backup.startedAt(), 2, null);
    }

    /**
     * Every file whose name (or, when {@code glob} holds a {@code /}, whose whole guest path)
     * matches {@code glob} ({@code *}, {@code ?}, {@code [..]}, {@code {a,b}}; {@code **} crosses
     * directories), on every filesystem, sorted by path.
     */
    public List<GuestEntry> find(String glob) throws EngineException {
        boolean wholePath = glob.contains("/");
        PathMatcher matcher;
        try {
            matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
        } catch (IllegalArgumentException e) {
            throw new EngineException(
                    Code.INVALID_ARGUMENT, "--find '" + glob + "' is not a valid glob: " + e.getMessage());
        }
        Map<String, String> roots = new LinkedHashMap<>();
        roots.put("/", GUEST);
        unplacedRoots.forEach((n, app) -> roots.put(Placement.UNPLACED + "/" + n, app));
        List<GuestEntry> out = new ArrayList<>();
        for (Map.Entry<String, String> root : roots.entrySet()) {
            Map<String, List<String>> byDir = new LinkedHashMap<>();
            for (String rel : tree.find(root.getValue())) {
                String guest =
                        GuestPath.normalize(root.getKey() + "/" + rel); // libguestfs returns "etc" or "/etc" by version
                String tested = wholePath ? guest : GuestPath.name(guest);
                if (matcher.matches(Path.of(tested)))
                    byDir.computeIfAbsent(GuestPath.parent(guest), k -> new ArrayList<>())
                            .add(GuestPath.name(guest));
            }
            for (Map.Entry<String, List<String>> d : byDir.entrySet()) {
                String dir = d.getKey();
                String app = dir.equals(root.getKey())
                        ? root.getValue()
                        : root.getValue()
                                + (root.getKey().equals("/")
                                        ? dir
                                        : dir.substring(root.getKey().length()));
                out.addAll(stat(dir, app, d.getValue()));
            }
        }
        out.sort(Comparator.comparing(GuestEntry::path));
        return out;
    }

    // ---- restore ------------------------------------------------------------------------------

    /**
     * Copies each guest path (file, symlink or whole tree) to {@code to} + its guest path
     * ({@code /etc/nginx} → {@code TO/etc/nginx}), keeping owner, mode, mtime, symlinks, hard
     * links within a tree and holes. An existing target is refused unless {@code force}.
     */
    public RestoreSummary restore(List<String> paths, Path to, boolean force) throws EngineException, IOException {
        long t0 = System.nanoTime();
        Path root = to.toAbsolutePath();
        Files.createDirectories(root);
        SafeExtractor out = new SafeExtractor(root, force, listener);
        List<Resolved> resolved = new ArrayList<>();
        for (String p : paths) {
            Resolved full = resolve(p, false);
            if (full.virtual())
                throw new EngineException(
                        Code.INVALID_ARGUMENT, "restore a path under " + Placement.UNPLACED + "/<device>, not " + p);
            resolved.add(full);
        }
        refuseExisting(paths, to, force);
        listener.phase("copy");
        for (Resolved r : resolved) {
            Guestfs.Stat st;
            try {
                st = tree.lstat(r.appliancePath());
            } catch (EngineException e) {
                throw notFound(r.guestPath());
            }
            List<String> parts = SafeExtractor.components(r.guestPath().substring(1));
            SafeExtractor.Meta meta = new SafeExtractor.Meta(
                    (int) (st.mode() & 07777),
                    st.uid(),
                    st.gid(),
                    Instant.ofEpochSecond(st.mtimeSec(), st.mtimeNsec()));
            switch (GuestEntry.Kind.ofMode(st.mode())) {
                case DIRECTORY -> stream(r.appliancePath(), true, in -> out.extractTar(in, parts));
                case FILE ->
                    stream(r.appliancePath(), false, in -> out.file(parts, r.guestPath(), meta, in, st.size()));
                case SYMLINK -> out.symlink(parts, r.guestPath(), meta, tree.readlink(r.appliancePath()));
                default -> {
                    out.skipped++;
                    listener.warning(
                            "skipped " + r.guestPath() + ": a device, FIFO or socket is not restorable as a file");
                }
            }
        }
        out.finish();
        return new RestoreSummary(out.files, out.bytes, out.skipped, (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * Refuses (unless {@code force}) a restore whose target ({@code to} + guest path) exists;
     * cheap, so callers check before starting the appliance.
     */
    public static void refuseExisting(List<String> paths, Path to, boolean force) throws EngineException {
        if (force) return;
        for (String p : paths) {
            String guest = GuestPath.normalize(p);
            if (guest.equals("/")) continue;
            Path target = to.toAbsolutePath().resolve(guest.substring(1));
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS))
                throw new EngineException(Code.ALREADY_EXISTS, target + " exists; --force overwrites");
        }
    }

    private interface StreamReader {
        void read(InputStream in) throws EngineException, IOException;
    }

    /**
     * Runs {@code tar-out} (a tree, numeric owners) or {@code download} (one file) into a FIFO in
     * the private temporary directory while {@code reader} consumes it: nothing is staged on disk.
     */
    private void stream(String appliancePath, boolean whole, StreamReader reader) throws EngineException, IOException {
        if (!whole) {
            try (InputStream direct = tree.open(appliancePath)) { // the host-kernel tree: no FIFO, no second thread
                if (direct != null) {
                    reader.read(direct);
                    return;
                }
            }
        }
        Path fifo = tempDir.resolve("stream");
        Files.deleteIfExists(fifo);
        mkfifo(fifo);
        EngineException[] failure = new EngineException[1];
        IOException[] ioFailure = new IOException[1];
        Thread t = Thread.ofPlatform().name("stillpoint-files-reader").daemon().start(() -> {
            try (InputStream in = Files.newInputStream(fifo)) {
                try {
                    reader.read(in);
                } catch (EngineException e) {
                    failure[0] = e;
                } catch (IOException e) {
                    ioFailure[0] = e;
                } finally {
                    in.transferTo(java.io.OutputStream.nullOutputStream()); // let the writer finish
                }
            } catch (IOException e) {
                if (ioFailure[0] == null) ioFailure[0] = e;
            }
        });
        try {
            if (whole) tree.tarOut(appliancePath, fifo);
            else tree.download(appliancePath, fifo);
        } catch (EngineException e) {
            if (failure[0] == null) failure[0] = e;
        } finally {
            try {
                // the call returned: the stream is complete (or never opened, when the call failed early)
                t.join(failure[0] != null ? 5_000 : TimeUnit.MINUTES.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Files.deleteIfExists(fifo);
        }
        if (failure[0] != null) throw failure[0];
        if (ioFailure[0] != null) throw ioFailure[0];
    }

    private static void mkfifo(Path p) throws EngineException, IOException {
        Process proc = new ProcessBuilder("mkfifo", "-m", "600", p.toString())
                .redirectErrorStream(true)
                .start();
        try {
            String msg = new String(proc.getInputStream().readAllBytes()).strip();
            if (proc.waitFor() != 0) throw new EngineException(Code.TOOL_FAILED, "mkfifo " + p + ": " + msg);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException(Code.CANCELLED, "interrupted creating " + p);
        }
    }

    // ---- mount --------------------------------------------------------------------------------

    /**
     * Presents the tree (opened with {@link Layout#MOUNT}) read-only under {@code dir} through
     * FUSE, after writing {@code dir} into the work directory's
     * {@value OrphanRecovery#MOUNT_POINT_FILE} so a later run unmounts it if this process dies.
     * {@link #serveMount()} then answers the kernel until the mount is unmounted.
     */
    public void mount(Path dir) throws EngineException, IOException {
        if (layout != Layout.MOUNT) throw new IllegalStateException("opened with layout " + layout);
        Files.writeString(
                tempDir.resolve(OrphanRecovery.MOUNT_POINT_FILE),
                dir.toAbsolutePath().toString());
        tree.mountOn(dir.toAbsolutePath());
    }

    /** Serves the FUSE mount until {@code fusermount -u DIR} (or {@code stillpoint umount DIR}). */
    public void serveMount() throws EngineException {
        tree.serveMount();
    }

    // ---- cleanup ------------------------------------------------------------------------------

    /**
     * Appliance (or the host-kernel path's mounts, loop devices and daemon), export, temporary
     * directory: in reverse order of creation. Idempotent; safe from a shutdown hook.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        closeQuietly(tree, export, tempDir);
    }

    private static void closeQuietly(GuestTree g, BackupExport export, Path temp) {
        if (g != null) g.close();
        if (export != null) {
            try {
                export.close();
            } catch (IOException ignored) {
                // the temp directory goes below anyway
            }
        }
        try {
            Files.walkFileTree(temp, new java.nio.file.SimpleFileVisitor<>() {
                @Override
                public java.nio.file.FileVisitResult preVisitDirectory(
                        Path d, java.nio.file.attribute.BasicFileAttributes a) {
                    // a mount a failed unmount left holds the guest's files: not ours to delete
                    return !d.equals(temp) && dev.stillpoint.engine.runs.FuseMounts.mounted(d.toString())
                            ? java.nio.file.FileVisitResult.SKIP_SUBTREE
                            : java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult visitFile(Path f, java.nio.file.attribute.BasicFileAttributes a)
                        throws IOException {
                    if (!dev.stillpoint.engine.runs.FuseMounts.mounted(f.toString())) Files.deleteIfExists(f);
                    return java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult visitFileFailed(Path f, IOException e) {
                    return java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult postVisitDirectory(Path d, IOException e) {
                    try {
                        Files.deleteIfExists(d);
                    } catch (IOException notEmpty) {
                        // something stayed mounted inside
                    }
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException ignored) {
            // best effort: a leftover private directory in /tmp
        }
    }
}
