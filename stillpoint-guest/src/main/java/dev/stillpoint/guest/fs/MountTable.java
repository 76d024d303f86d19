package dev.stillpoint.guest.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Parses /proc/self/mountinfo:
 * <pre>
 * 36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 * id parent maj:min root mountpoint options [optional...] - fstype source superoptions
 * </pre>
 * and picks the local freezable mounts: block-device backed (major != 0), writable, not a network,
 * pseudo or read-only-by-nature filesystem; a device mounted twice (bind mounts) is frozen once.
 */
public final class MountTable {
    public static final Path PROC_MOUNTINFO = Path.of("/proc/self/mountinfo");
    static final Set<String> NOT_FREEZABLE = Set.of(
            "proc",
            "sysfs",
            "devtmpfs",
            "devpts",
            "tmpfs",
            "ramfs",
            "cgroup",
            "cgroup2",
            "securityfs",
            "debugfs",
            "tracefs",
            "configfs",
            "fusectl",
            "mqueue",
            "hugetlbfs",
            "pstore",
            "bpf",
            "autofs",
            "binfmt_misc",
            "efivarfs",
            "rpc_pipefs",
            "nsfs",
            "overlay",
            "squashfs",
            "iso9660",
            "udf",
            "nfs",
            "nfs4",
            "cifs",
            "smb3",
            "smbfs",
            "9p",
            "virtiofs",
            "ceph",
            "glusterfs",
            "lustre",
            "gfs2",
            "ocfs2",
            "afs",
            "zfs",
            "vfat",
            "msdos",
            "exfat");

    private final List<Mount> mounts;

    MountTable(List<Mount> mounts) {
        this.mounts = mounts;
    }

    public static MountTable read() {
        return read(PROC_MOUNTINFO);
    }

    public static MountTable read(Path mountinfo) {
        try {
            return parse(Files.readAllLines(mountinfo, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new MountTable(List.of());
        }
    }

    public static MountTable parse(List<String> lines) {
        List<Mount> out = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split(" ");
            if (f.length < 10) continue;
            int sep = -1;
            for (int i = 6; i < f.length; i++) {
                if (f[i].equals("-")) {
                    sep = i;
                    break;
                }
            }
            if (sep < 0 || sep + 2 >= f.length) continue;
            String[] mm = f[2].split(":");
            boolean ro = (',' + f[5] + ',').contains(",ro,");
            try {
                out.add(new Mount(
                        Integer.parseInt(f[0]),
                        Integer.parseInt(mm[0]),
                        Integer.parseInt(mm[1]),
                        unescape(f[4]),
                        f[sep + 1],
                        unescape(f[sep + 2]),
                        ro));
            } catch (NumberFormatException e) {
                // skip a malformed line
            }
        }
        return new MountTable(out);
    }

    public List<Mount> all() {
        return mounts;
    }

    /** The mount whose mount point is exactly this path (last one wins, like the kernel's view), or null. */
    public Mount at(String path) {
        Mount found = null;
        for (Mount m : mounts) if (m.mountPoint.equals(path)) found = m;
        return found;
    }

    public static boolean freezable(Mount m) {
        return m.major != 0 && !m.readOnly && !NOT_FREEZABLE.contains(m.fsType) && !m.fsType.startsWith("fuse");
    }

    /** Local freezable mounts, one per device, deepest first (the freeze order; thaw is the reverse). */
    public List<Mount> freezable() {
        List<Mount> out = new ArrayList<>();
        Set<String> devices = new HashSet<>();
        for (Mount m : mounts) {
            if (freezable(m) && devices.add(m.major + ":" + m.minor)) out.add(m);
        }
        return deepestFirst(out);
    }

    public static List<Mount> deepestFirst(List<Mount> in) {
        List<Mount> out = new ArrayList<>(in);
        out.sort(Comparator.comparingInt((Mount m) -> depth(m.mountPoint))
                .reversed()
                .thenComparing(Comparator.comparingInt((Mount m) -> m.id).reversed()));
        return out;
    }

    static int depth(String p) {
        if (p.equals("/")) return 0;
        int d = 0;
        for (char c : p.toCharArray()) if (c == '/') d++;
        return d;
    }

    /** Undoes mountinfo's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 4 <= s.length()) {
                try {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                    // literal backslash
                }
            }
            b.append(c);
        }
        return b.toString();
    }
}
