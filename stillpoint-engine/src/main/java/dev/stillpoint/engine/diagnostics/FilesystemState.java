package dev.stillpoint.engine.diagnostics;

import java.util.List;

/**
 * The superblock state of one ext2/3/4 filesystem inside a guest (seed 000: {@code tune2fs -l} /
 * {@code dumpe2fs -h} "Filesystem state: clean | not clean"). A filesystem that is mounted
 * read-write, or was frozen and snapshotted while mounted, shows "not clean" on ext2 and an image
 * restored from it needs fsck (journalled ext3/4 replay their journal instead).
 *
 * @param device      the block device dumpe2fs read, e.g. {@code /dev/vda1}
 * @param mountpoints where the guest has it mounted (bind mounts give several)
 * @param type        ext2, ext3 or ext4
 * @param state       dumpe2fs's "Filesystem state" text ({@code clean}, {@code not clean},
 *                    {@code clean with errors} ...), null when it could not be read
 * @param error       why the state could not be read, null when it was
 */
public record FilesystemState(String device, List<String> mountpoints, String type, String state, String error) {

    /** True only for exactly "clean"; null when the state is unknown. */
    public Boolean clean() {
        return state == null ? null : state.equals("clean");
    }
}
