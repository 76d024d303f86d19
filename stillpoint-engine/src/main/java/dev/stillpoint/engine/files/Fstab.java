package dev.stillpoint.engine.files;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The entries of a guest's {@code /etc/fstab} that place a filesystem in the tree: six
 * whitespace-separated fields, {@code #} comments, octal escapes ({@code \040} for a space) in the
 * first two. Swap, pseudo filesystems (proc, tmpfs, ...), bind mounts and mount points that are
 * not absolute are left out. The file is untrusted guest data: a malformed line is skipped.
 */
record Fstab(List<Entry> entries) {
    private static final Set<String> PSEUDO = Set.of(
            "swap",
            "none",
            "proc",
            "sysfs",
            "devpts",
            "tmpfs",
            "devtmpfs",
            "cgroup",
            "cgroup2",
            "securityfs",
            "debugfs",
            "mqueue",
            "hugetlbfs",
            "binfmt_misc",
            "efivarfs",
            "nfs",
            "nfs4",
            "cifs",
            "smb3",
            "fuse",
            "fuse.sshfs",
            "autofs",
            "overlay",
            "bpf",
            "tracefs",
            "ramfs");

    /** {@code spec} as written (UUID=..., LABEL=..., /dev/vda1), {@code mountPoint} normalized, {@code options} raw. */
    record Entry(String spec, String mountPoint, String type, String options) {
        /** The {@code subvol=} option (btrfs), or null. */
        String subvolume() {
            for (String o : options.split(",")) if (o.startsWith("subvol=")) return o.substring("subvol=".length());
            return null;
        }
    }

    static Fstab parse(String text) {
        List<Entry> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) continue;
            String[] f = l.split("\\s+");
            if (f.length < 2) continue;
            String spec = unescape(f[0]);
            String mp = unescape(f[1]);
            String type = f.length > 2 ? f[2] : "auto";
            String options = f.length > 3 ? f[3] : "defaults";
            if (PSEUDO.contains(type)
                    || !mp.startsWith("/")
                    || spec.contains(":") && !spec.startsWith("UUID=") && !spec.startsWith("LABEL=")) continue;
            if ((',' + options + ',').contains(",bind,") || (',' + options + ',').contains(",rbind,")) continue;
            out.add(new Entry(spec, GuestPath.normalize(mp), type, options));
        }
        return new Fstab(List.copyOf(out));
    }

    /** fstab's octal escapes: {@code \040} space, {@code \011} tab, {@code \012} newline, {@code \134} backslash. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
