package dev.stillpoint.engine.diagnostics;

import java.util.List;

/**
 * Result of {@link GuestFilesystemInspector#inspect}.
 *
 * @param domain       the domain's name
 * @param freezeStatus guest-fsfreeze-status: {@code frozen} or {@code thawed}
 * @param filesystems  ext2/3/4 filesystems from guest-get-fsinfo, one per device
 * @param otherFilesystems how many non-ext filesystems guest-get-fsinfo listed (not inspected)
 * @param note         why the filesystems could not be listed (a frozen guest), else null
 */
public record FilesystemStateReport(
        String domain, String freezeStatus, List<FilesystemState> filesystems, int otherFilesystems, String note) {
    public boolean frozen() {
        return "frozen".equals(freezeStatus);
    }
}
