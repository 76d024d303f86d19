package dev.stillpoint.engine.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlacementTest {
    static final Placement.Filesystem ROOT = new Placement.Filesystem("/dev/sda2", "vda2", "ext4", "1111-aaaa", "root");
    static final Placement.Filesystem BOOT = new Placement.Filesystem("/dev/sda1", "vda1", "vfat", "ABCD-1234", null);
    static final Placement.Filesystem VAR = new Placement.Filesystem("/dev/sda3", "vda3", "xfs", "2222-BBBB", null);
    static final Placement.Filesystem LIB = new Placement.Filesystem("/dev/sdb1", "vdb1", "ext4", "3333", "pgdata");
    static final Placement.Filesystem SRV = new Placement.Filesystem("/dev/data/srv", "data-srv", "ext4", "4444", null);
    static final Placement.Filesystem STRAY = new Placement.Filesystem("/dev/sdc", "vdc", "ext4", "5555", null);
    static final List<Placement.Filesystem> ALL = List.of(BOOT, ROOT, VAR, LIB, SRV, STRAY);
    static final Map<String, String> DEVICES = Map.of("/dev/vdb1", "/dev/sdb1", "/dev/data/srv", "/dev/data/srv");

    static Placement decide(String fstab) {
        return Placement.decide(ALL, ROOT, Fstab.parse(fstab), DEVICES::get);
    }

    @Test
    void fstabPlacesByUuidLabelAndDeviceParentsBeforeChildren() {
        Placement p = decide("""
                # children listed before their parents on purpose
                LABEL=pgdata /var/lib/postgresql ext4 defaults 0 2
                /dev/vdb1 /var/lib/other ext4 defaults 0 2
                UUID=2222-bbbb /var xfs defaults 0 2
                UUID="1111-aaaa" / ext4 errors=remount-ro 0 1
                /dev/disk/by-uuid/ABCD-1234 /boot/efi vfat umask=0077 0 1
                /dev/data/srv /srv ext4 defaults 0 2
                """);
        assertThat(p.mounts())
                .extracting(m -> m.mountPoint() + "=" + m.fs().guestName())
                .containsExactly("/=vda2", "/srv=data-srv", "/var=vda3", "/boot/efi=vda1", "/var/lib/postgresql=vdb1");
        assertThat(p.unplaced()).containsExactly(STRAY);
    }

    @Test
    void whatFstabCannotPlaceIsUnplaced() {
        Placement p = decide("""
                UUID=1111-aaaa / ext4 defaults 0 1
                UUID=no-such-uuid /data ext4 defaults,nofail 0 2
                PARTUUID=0a0a-01 /boot ext4 defaults 0 2
                /dev/vdq1 /q ext4 defaults 0 0
                proc /proc proc defaults 0 0
                /swapfile none swap sw 0 0
                tmpfs /tmp tmpfs defaults 0 0
                /srv/exports /export none bind 0 0
                server:/share /mnt/nfs nfs defaults 0 0
                garbage
                """);
        assertThat(p.mounts()).extracting(Placement.Mount::mountPoint).containsExactly("/");
        assertThat(p.unplaced())
                .extracting(Placement.Filesystem::guestName)
                .containsExactly("vda1", "vda3", "vdb1", "data-srv", "vdc");
    }

    @Test
    void oneFilesystemIsMountedOnceAndOneMountPointTakesTheFirstEntry() {
        Placement p = decide("""
                UUID=2222-BBBB /var xfs defaults 0 2
                UUID=2222-BBBB /var2 xfs defaults 0 2
                LABEL=pgdata /var ext4 defaults 0 2
                """);
        assertThat(p.mounts())
                .extracting(m -> m.mountPoint() + "=" + m.fs().guestName())
                .containsExactly("/=vda2", "/var=vda3");
        assertThat(p.unplaced())
                .extracting(Placement.Filesystem::guestName)
                .containsExactly("vda1", "vdb1", "data-srv", "vdc");
    }

    @Test
    void withoutARootEverythingIsUnplaced() {
        Placement p = Placement.decide(ALL, null, new Fstab(List.of()), d -> null);
        assertThat(p.mounts()).isEmpty();
        assertThat(p.unplaced()).isEqualTo(ALL);
    }

    @Test
    void btrfsSubvolumesAndEscapedMountPoints() {
        Placement.Filesystem btrfs = new Placement.Filesystem("/dev/sda1", "vda1", "btrfs", "b7", null);
        Placement.Filesystem data = new Placement.Filesystem("/dev/sdb1", "vdb1", "ext4", "d1", null);
        Placement p = Placement.decide(List.of(btrfs, data), btrfs, Fstab.parse("""
                UUID=b7 / btrfs subvol=@,compress=zstd 0 0
                UUID=b7 /home btrfs subvol=@home 0 0
                UUID=d1 /srv/my\\040data ext4 defaults 0 2
                """), d -> null);
        assertThat(p.mounts())
                .extracting(m -> m.mountPoint() + "=" + m.fs().guestName() + ":" + m.subvolume())
                .containsExactly("/=vda1:@", "/home=vda1:@home", "/srv/my data=vdb1:null");
        assertThat(p.unplaced()).isEmpty();
    }

    @Test
    void fstabMountPointsAreNormalized() {
        Fstab f = Fstab.parse("LABEL=x /var//lib/../log/ ext4 defaults\n");
        assertThat(f.entries()).extracting(Fstab.Entry::mountPoint).containsExactly("/var/log");
        assertThat(GuestPath.normalize("/../../etc/./passwd")).isEqualTo("/etc/passwd");
    }
}
