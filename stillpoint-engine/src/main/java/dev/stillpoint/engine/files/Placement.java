package dev.stillpoint.engine.files;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Where each filesystem of a restore point goes in the guest's tree, decided by the root
 * filesystem's {@code /etc/fstab}: an entry's spec ({@code UUID=}, {@code LABEL=},
 * {@code /dev/disk/by-uuid/...}, {@code /dev/disk/by-label/...} or a device name the guest used)
 * names one of the filesystems found; mounts come parents before children. A filesystem no entry
 * places (or with no root found) goes under {@code /.stillpoint/unplaced/<device>}.
 *
 * @param mounts   in mount order (shallow mount points first)
 * @param unplaced filesystems with nowhere to go, by their guest device name
 */
record Placement(List<Mount> mounts, List<Filesystem> unplaced) {
    /** The directory of filesystems that no fstab entry places. */
    static final String UNPLACED = "/.stillpoint/unplaced";

    /**
     * A filesystem found on the point's disks. {@code device} is the appliance's name
     * ({@code /dev/sda1}, {@code /dev/vg/lv}); {@code guestName} the name shown to the user
     * ({@code vda1}, {@code vg-lv}).
     */
    record Filesystem(String device, String guestName, String type, String uuid, String label) {}

    /** Mount {@code fs} at guest path {@code mountPoint}, with btrfs {@code subvolume} or null. */
    record Mount(Filesystem fs, String mountPoint, String subvolume) {}

    /**
     * @param root        the filesystem holding /etc/fstab, or null (no root found: all unplaced)
     * @param fstab       root's fstab (empty when {@code root} is null)
     * @param guestDevice maps a device name of the guest ({@code /dev/vdb1}, {@code /dev/mapper/vg-lv})
     *                    to the appliance's, or null when unknown
     */
    static Placement decide(List<Filesystem> all, Filesystem root, Fstab fstab, Function<String, String> guestDevice) {
        Map<String, Mount> byMountPoint = new LinkedHashMap<>();
        Set<String> used = new HashSet<>();
        if (root != null) {
            byMountPoint.put("/", new Mount(root, "/", null));
            used.add(root.device());
            for (Fstab.Entry e : fstab.entries()) {
                if (e.mountPoint().equals("/")) {
                    // the root's own entry: only its btrfs subvolume matters
                    if (e.subvolume() != null && root.type().equals("btrfs"))
                        byMountPoint.put("/", new Mount(root, "/", e.subvolume()));
                    continue;
                }
                if (byMountPoint.containsKey(e.mountPoint())) continue;
                Filesystem fs = resolve(e.spec(), all, guestDevice);
                if (fs == null) continue;
                String sub = fs.type().equals("btrfs") ? e.subvolume() : null;
                if (used.contains(fs.device()) && sub == null) continue;
                used.add(fs.device());
                byMountPoint.put(e.mountPoint(), new Mount(fs, e.mountPoint(), sub));
            }
        }
        List<Mount> mounts = new ArrayList<>(byMountPoint.values());
        mounts.sort(Comparator.comparingInt((Mount m) -> GuestPath.depth(m.mountPoint()))
                .thenComparing(Mount::mountPoint));
        List<Filesystem> unplaced =
                all.stream().filter(f -> !used.contains(f.device())).toList();
        return new Placement(List.copyOf(mounts), unplaced);
    }

    /** The filesystem an fstab spec names, or null. */
    static Filesystem resolve(String spec, List<Filesystem> all, Function<String, String> guestDevice) {
        String uuid = prefixed(spec, "UUID=", "/dev/disk/by-uuid/");
        if (uuid != null) {
            String u = uuid.toLowerCase(Locale.ROOT);
            return all.stream()
                    .filter(f -> f.uuid() != null
                            && f.uuid().toLowerCase(Locale.ROOT).equals(u))
                    .findFirst()
                    .orElse(null);
        }
        String label = prefixed(spec, "LABEL=", "/dev/disk/by-label/");
        if (label != null)
            return all.stream().filter(f -> label.equals(f.label())).findFirst().orElse(null);
        if (!spec.startsWith("/dev/")) return null;
        String device = guestDevice.apply(spec);
        if (device == null) return null;
        return all.stream().filter(f -> f.device().equals(device)).findFirst().orElse(null);
    }

    private static String prefixed(String spec, String tag, String dir) {
        if (spec.startsWith(tag)) return unquote(spec.substring(tag.length()));
        if (spec.startsWith(dir)) return spec.substring(dir.length());
        return null;
    }

    private static String unquote(String s) {
        return s.length() >= 2 && (s.startsWith("\"") && s.endsWith("\"") || s.startsWith("'") && s.endsWith("'"))
                ? s.substring(1, s.length() - 1)
                : s;
    }
}
