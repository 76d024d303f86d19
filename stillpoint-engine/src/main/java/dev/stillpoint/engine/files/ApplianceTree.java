package dev.stillpoint.engine.files;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.export.BackupExport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The default {@link GuestTree}: one libguestfs appliance ({@link Guestfs}) whose drives are the
 * NBD export's disks, read-only with libguestfs's copy-on-write overlays in the work directory.
 */
final class ApplianceTree implements GuestTree {
    private static final Pattern DISK = Pattern.compile("/dev/sd([a-z]+)[0-9]*");

    private final Guestfs g;
    private volatile long pid = -1;

    private ApplianceTree(Guestfs g) {
        this.g = g;
    }

    /** Launches the appliance on {@code disks} served at {@code socket}; overlays go to {@code workDir}. */
    static ApplianceTree launch(List<BackupExport.Disk> disks, Path socket, Path workDir, FilesListener listener)
            throws EngineException {
        Guestfs g = Guestfs.create();
        ApplianceTree t = new ApplianceTree(g);
        try {
            g.call(
                    "set_tmpdir",
                    workDir.toString()); // overlays here: a dead run's appliance is found by its command line
            for (BackupExport.Disk d : disks) {
                Map<String, Object> opts = new HashMap<>();
                opts.put("protocol", "nbd");
                opts.put("server", new String[] {"unix:" + socket});
                opts.put("format", "raw");
                opts.put("readonly", Boolean.TRUE);
                g.call("add_drive", d.name(), opts);
            }
            listener.phase("appliance");
            g.call("launch");
            try {
                t.pid = ((Number) g.call("get_pid")).longValue();
            } catch (EngineException ignored) {
                // backend without a pid: close() falls back to shutdown
            }
            return t;
        } catch (EngineException | RuntimeException e) {
            t.close();
            throw e;
        }
    }

    @Override
    public List<Placement.Filesystem> filesystems(
            Map<Integer, List<PartitionTable.Partition>> partitions, Function<String, String> guestName)
            throws EngineException {
        List<Placement.Filesystem> all = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(g.map("list_filesystems")).entrySet()) {
            String dev = e.getKey();
            String type = e.getValue();
            if (type == null
                    || type.isEmpty()
                    || type.equals("swap")
                    || type.equals("unknown")
                    || dev.startsWith("btrfsvol:")) continue;
            Matcher m = DISK.matcher(dev);
            if (m.matches()
                    && partitions.containsKey(GuestFiles.letterIndex(m.group(1)))
                    && partitions.get(GuestFiles.letterIndex(m.group(1))) == null) continue; // damaged table
            all.add(new Placement.Filesystem(
                    dev, guestName.apply(dev), type, quiet("vfs_uuid", dev), quiet("vfs_label", dev)));
        }
        return all;
    }

    private String quiet(String call, String dev) {
        try {
            String s = g.string(call, dev);
            return s == null || s.isEmpty() ? null : s;
        } catch (EngineException e) {
            return null;
        }
    }

    @Override
    public void mkdir(String path) throws EngineException {
        g.call("mkmountpoint", path);
    }

    @Override
    public void mount(String device, String type, String subvolume, String at) throws EngineException {
        g.call("mount_options", "ro" + (subvolume != null ? ",subvol=" + subvolume : ""), device, at);
    }

    @Override
    public void umount(String at) throws EngineException {
        g.call("umount", at);
    }

    @Override
    public boolean isFile(String path) throws EngineException {
        return g.bool("is_file", path);
    }

    @Override
    public String readFile(String path) throws EngineException {
        return g.string("read_file", path);
    }

    @Override
    public Guestfs.Stat lstat(String path) throws EngineException {
        return g.lstat(path);
    }

    @Override
    public Guestfs.Stat[] lstatList(String dir, String[] names) throws EngineException {
        return g.lstatList(dir, names);
    }

    @Override
    public String[] ls(String dir) throws EngineException {
        return g.strings("ls", dir);
    }

    @Override
    public String readlink(String path) throws EngineException {
        return g.string("readlink", path);
    }

    @Override
    public String[] readlinkList(String dir, String[] names) throws EngineException {
        return g.strings("readlinklist", dir, names);
    }

    @Override
    public String[] find(String dir) throws EngineException {
        return g.strings("find", dir);
    }

    @Override
    public void tarOut(String path, Path fifo) throws EngineException {
        Map<String, Object> opts = new HashMap<>();
        opts.put("numericowner", Boolean.TRUE);
        g.call("tar_out", path, fifo.toString(), opts);
    }

    @Override
    public void download(String path, Path fifo) throws EngineException {
        g.call("download", path, fifo.toString());
    }

    @Override
    public void mountOn(Path dir) throws EngineException {
        Map<String, Object> opts = new HashMap<>();
        opts.put("readonly", Boolean.TRUE);
        opts.put("options", "allow_other,default_permissions"); // root mounts; the guest's modes decide who reads
        g.call("mount_local", dir.toString(), opts);
    }

    @Override
    public void serveMount() throws EngineException {
        g.call("mount_local_run");
    }

    /** Kills the appliance's qemu first (a call in flight on another thread fails at once), then frees the handle. */
    @Override
    public void close() {
        long p = pid;
        if (p > 0) ProcessHandle.of(p).ifPresent(ProcessHandle::destroyForcibly);
        g.close();
    }
}
