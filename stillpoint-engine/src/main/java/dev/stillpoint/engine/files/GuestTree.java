package dev.stillpoint.engine.files;

import dev.stillpoint.engine.EngineException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Where {@link GuestFiles} reads the guest's filesystems: a libguestfs appliance
 * ({@link ApplianceTree}, the default: its own kernel parses them) or the host's kernel
 * ({@link HostKernelTree}, {@code --host-kernel}: loop devices and read-only mounts). Paths are the
 * backend's own: absolute, inside a private root the backend owns ({@code /guest/etc} is the
 * guest's {@code /etc} in the browse layout); nothing here follows symlinks.
 */
interface GuestTree extends AutoCloseable {
    /**
     * The filesystems on the disks, named as the appliance names them ({@code /dev/sda1},
     * {@code /dev/vg/lv}) with their guest names from {@code guestName}; {@code partitions} holds
     * each disk's partitions (null: its table is damaged and the disk was skipped).
     */
    List<Placement.Filesystem> filesystems(
            Map<Integer, List<PartitionTable.Partition>> partitions,
            java.util.function.Function<String, String> guestName)
            throws EngineException;

    /** Creates a directory in the backend's own root (never in a guest filesystem). */
    void mkdir(String path) throws EngineException;

    /** Mounts {@code device} read-only at {@code at}; {@code subvolume} a btrfs subvolume or null. */
    void mount(String device, String type, String subvolume, String at) throws EngineException;

    void umount(String at) throws EngineException;

    boolean isFile(String path) throws EngineException;

    String readFile(String path) throws EngineException;

    Guestfs.Stat lstat(String path) throws EngineException;

    /** {@code lstat} of each of {@code names} in {@code dir}, in order. */
    Guestfs.Stat[] lstatList(String dir, String[] names) throws EngineException;

    String[] ls(String dir) throws EngineException;

    String readlink(String path) throws EngineException;

    String[] readlinkList(String dir, String[] names) throws EngineException;

    /** Every path below {@code dir}, relative to it, not following symlinks. */
    String[] find(String dir) throws EngineException;

    /** Writes a tar of the tree at {@code path} (numeric owners) into {@code fifo}. */
    void tarOut(String path, Path fifo) throws EngineException;

    /** Writes the file at {@code path} into {@code fifo}. */
    void download(String path, Path fifo) throws EngineException;

    /**
     * The file at {@code path} to read directly (not following a symlink), or null when this
     * backend only streams ({@link #download}); the caller closes it.
     */
    default java.io.InputStream open(String path) throws EngineException {
        return null;
    }

    /** Presents the root read-only on {@code dir} of the host. */
    void mountOn(Path dir) throws EngineException;

    /** Returns once the mount made by {@link #mountOn} is gone ({@code stillpoint umount}). */
    void serveMount() throws EngineException;

    /** Undoes everything in reverse; idempotent, safe from another thread while a call is in flight. */
    @Override
    void close();
}
