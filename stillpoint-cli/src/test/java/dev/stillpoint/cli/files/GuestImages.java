package dev.stillpoint.cli.files;

import dev.stillpoint.testkit.HostPrograms;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Guest disk images made by libguestfs itself ({@code guestfish} in its appliance: partition
 * tables, mkfs, files), so the tests need no loop devices or root mounts on the host.
 */
final class GuestImages {
    static final String XFS_UUID = "5b1a6e0e-3c1f-4f8e-9d2a-6f4f0c2b7a11";
    /** mtime given to /srv/tree/hello.txt. */
    static final long HELLO_MTIME = 1_600_000_000L;

    static final String ODD_NAME = "a name\nwith newline";

    private GuestImages() {}

    /**
     * Six raw disks in {@code dir}: {@code d1.img} GPT with an ext4 root (LABEL=root) and an xfs
     * /var (by UUID), {@code d2.img} MBR with an ext4 /home (by the guest's device name /dev/vdb1),
     * {@code d3.img} one vfat filesystem on the whole disk that fstab does not name, {@code d4.img}
     * + {@code d5.img} an LVM volume group whose volume {@code data/srv} (ext4, /srv/lvm by
     * /dev/mapper/data-srv) spans both, {@code d6.img} a btrfs (LABEL=btr) whose subvolume
     * {@code @opt} is /opt. The root holds
     * /srv/tree: hard links, symlinks, a 64 MiB sparse file, a setuid file, a FIFO, a name with a
     * space and a newline, an owner 1234:5678.
     */
    static void build(Path dir) throws Exception {
        Files.writeString(
                dir.resolve("fstab"),
                String.join(
                        "\n",
                        "# /etc/fstab of the test guest",
                        "LABEL=root / ext4 defaults 0 1",
                        "UUID=" + XFS_UUID + " /var xfs defaults 0 2",
                        "/dev/vdb1 /home ext4 defaults 0 2",
                        "/dev/mapper/data-srv /srv/lvm ext4 defaults 0 2",
                        "LABEL=btr /opt btrfs subvol=@opt,compress=zstd 0 0",
                        "UUID=00000000-dead-beef-0000-000000000000 /missing ext4 defaults,nofail 0 2",
                        "proc /proc proc defaults 0 0",
                        "/swapfile none swap sw 0 0",
                        ""));
        String script = String.join(
                "\n",
                "disk-create d1.img raw 512M",
                "disk-create d2.img raw 64M",
                "disk-create d3.img raw 64M",
                "disk-create d4.img raw 64M",
                "disk-create d5.img raw 64M",
                "disk-create d6.img raw 256M",
                "add d1.img format:raw",
                "add d2.img format:raw",
                "add d3.img format:raw",
                "add d4.img format:raw",
                "add d5.img format:raw",
                "add d6.img format:raw",
                "run",
                "part-init /dev/sda gpt",
                "part-add /dev/sda p 2048 329727",
                "part-add /dev/sda p 329728 -34",
                "mkfs ext4 /dev/sda1 label:root",
                "mkfs xfs /dev/sda2",
                "set-uuid /dev/sda2 " + XFS_UUID,
                "part-disk /dev/sdb mbr",
                "mkfs ext4 /dev/sdb1",
                "mkfs vfat /dev/sdc",
                "pvcreate /dev/sdd",
                "pvcreate /dev/sde",
                "vgcreate data \"/dev/sdd /dev/sde\"",
                "lvcreate srv data 100",
                "mkfs ext4 /dev/data/srv",
                "mkfs btrfs /dev/sdf label:btr",
                "mount /dev/sda1 /",
                "mkdir /etc",
                "mkdir /var",
                "mkdir /home",
                "mkdir /opt",
                "mkdir-p /srv/tree/sub",
                "mkdir /srv/lvm",
                "upload fstab /etc/fstab",
                "write /etc/hostname \"files-it\\n\"",
                "mount /dev/sda2 /var",
                "mkdir /var/log",
                "write /var/log/app.log \"on xfs\\n\"",
                "mount /dev/sdb1 /home",
                "mkdir /home/user",
                "write /home/user/notes.txt \"on the MBR disk\\n\"",
                "mkdir /tmpvfat",
                "mount /dev/sdc /tmpvfat",
                "mkdir-p /tmpvfat/EFI/BOOT",
                "write /tmpvfat/EFI/BOOT/BOOTX64.EFI \"efi\"",
                "umount /tmpvfat",
                "mount /dev/data/srv /tmpvfat",
                "write /tmpvfat/on-lvm.txt \"spans two disks\\n\"",
                "umount /tmpvfat",
                "mount /dev/sdf /tmpvfat",
                "btrfs-subvolume-create /tmpvfat/@opt",
                "write /tmpvfat/@opt/in-subvol.txt \"btrfs\\n\"",
                "write /tmpvfat/top-level.txt \"not in @opt\\n\"",
                "umount /tmpvfat",
                "rmdir /tmpvfat",
                "write /srv/tree/hello.txt \"hello\\n\"",
                "chown 1234 5678 /srv/tree/hello.txt",
                "chmod 0640 /srv/tree/hello.txt",
                "utimens /srv/tree/hello.txt " + HELLO_MTIME + " 0 " + HELLO_MTIME + " 0",
                "ln /srv/tree/hello.txt /srv/tree/hello-link",
                "ln-s hello.txt /srv/tree/rel-link",
                "ln-s /etc/hostname /srv/tree/abs-link",
                "ln-s ../../etc /srv/tree/dir-link",
                "touch /srv/tree/sparse.bin",
                "truncate-size /srv/tree/sparse.bin 67108864",
                "pwrite /srv/tree/sparse.bin \"data\" 1048576",
                "write /srv/tree/suid \"#!/bin/sh\\n\"",
                "chmod 04755 /srv/tree/suid",
                "mkfifo 0644 /srv/tree/fifo",
                "write \"/srv/tree/a name\\nwith newline\" \"odd\\n\"",
                "write /srv/tree/sub/deep.txt \"deep\\n\"",
                "umount-all",
                "");
        ProcessBuilder pb =
                new ProcessBuilder("guestfish").directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("LIBGUESTFS_BACKEND", "direct"); // the appliance aborts under KVM here (docs/design.md)
        pb.environment().put("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg");
        Process p = pb.start();
        p.getOutputStream().write(script.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0)
            throw new AssertionError("guestfish failed: " + out);
    }

    /** Size of /committed.txt on {@code j1.img}. */
    static final int COMMITTED_SIZE = 10;

    /**
     * Two raw disks made on the host (e2fsprogs, sfdisk, a loop mount): {@code j1.img} an ext4 on
     * the whole disk (fstab: {@code /dev/vda /}) as a crash-consistent point leaves it: the journal
     * holds a committed transaction creating {@code /committed.txt} that was never written to its
     * place (checked here: without a replay the file is not there); {@code j2.img} a GPT disk with
     * an ext4 partition whose primary and backup GPT headers are damaged (bad CRCs).
     */
    static void buildDirty(Path dir) throws Exception {
        Path tree = Files.createDirectories(dir.resolve("dirty-tree/etc"));
        Files.writeString(tree.resolve("fstab"), "/dev/vda / ext4 defaults 0 1\n");
        Files.writeString(tree.resolve("hostname"), "dirty-it\n");
        Path live = dir.resolve("j-live.raw");
        HostPrograms.run("truncate", "-s", "64M", live.toString());
        HostPrograms.run("mkfs.ext4", "-q", "-F", "-d", tree.getParent().toString(), live.toString());
        Path mnt = Files.createDirectories(dir.resolve("dirty-mnt"));
        Path base = dir.resolve("j1.img");
        Path after = dir.resolve("j-after.raw");
        HostPrograms.run("mount", "-o", "loop", live.toString(), mnt.toString());
        try {
            HostPrograms.run("sync");
            HostPrograms.run("cp", "--sparse=always", live.toString(), base.toString());
            Files.writeString(mnt.resolve("committed.txt"), "committed\n");
            HostPrograms.run("sync");
            HostPrograms.run("cp", "--sparse=always", live.toString(), after.toString());
        } finally {
            HostPrograms.run("umount", mnt.toString());
        }
        // j1 = the state before the write + the journal (and the file's data) after it
        int block = Integer.parseInt(HostPrograms.run("dumpe2fs", "-h", after.toString())
                .lines()
                .filter(l -> l.startsWith("Block size:"))
                .findFirst()
                .orElseThrow()
                .replaceAll("\\D", ""));
        List<long[]> ranges = new ArrayList<>();
        Matcher m = Pattern.compile("\\(\\d+(?:-\\d+)?\\):(\\d+)(?:-(\\d+))?")
                .matcher(HostPrograms.run("debugfs", "-R", "stat <8>", after.toString()));
        while (m.find()) {
            long from = Long.parseLong(m.group(1));
            ranges.add(new long[] {from, m.group(2) == null ? from : Long.parseLong(m.group(2))});
        }
        for (String b : HostPrograms.run("debugfs", "-R", "blocks /committed.txt", after.toString())
                .strip()
                .split("\\s+")) if (b.matches("[0-9]+")) ranges.add(new long[] {Long.parseLong(b), Long.parseLong(b)});
        if (ranges.isEmpty()) throw new AssertionError("no journal extents found in " + after);
        try (FileChannel from = FileChannel.open(after);
                FileChannel to = FileChannel.open(base, StandardOpenOption.WRITE)) {
            for (long[] r : ranges) {
                long off = r[0] * block;
                long len = (r[1] - r[0] + 1) * block;
                from.transferTo(off, len, to.position(off));
            }
        }
        String unreplayed = HostPrograms.run("debugfs", "-R", "ls /", base.toString());
        if (unreplayed.contains("committed.txt")
                || !HostPrograms.run("dumpe2fs", "-h", base.toString()).contains("needs_recovery"))
            throw new AssertionError("j1.img is not a point with an unreplayed journal: " + unreplayed);
        Files.delete(live);
        Files.delete(after);

        Path gpt = dir.resolve("j2.img");
        HostPrograms.run("truncate", "-s", "16M", gpt.toString());
        HostPrograms.run("sh", "-c", "printf 'label: gpt\\nstart=2048, type=linux\\n' | sfdisk -q " + gpt);
        HostPrograms.run("mkfs.ext4", "-q", "-F", "-E", "offset=1048576", gpt.toString(), "8M");
        try (FileChannel ch = FileChannel.open(gpt, StandardOpenOption.WRITE)) {
            ByteBuffer junk = ByteBuffer.wrap(new byte[] {1, 2, 3, 4});
            ch.write(junk, 512 + 16); // primary header's CRC
            ch.write(junk.rewind(), ch.size() - 512 + 16); // backup header's CRC
        }
    }
}
