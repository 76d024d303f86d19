package dev.stillpoint.engine.instant;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * One instant recovery as its state file records it.
 *
 * @param state     {@code starting} (overlays/domain may be partly made), {@code pulling}
 * @param exportPid the export process (0 before it started)
 * @param files     overlays and copied boot files this recovery made (deleted by abort)
 */
public record InstantSession(
        String domain,
        String backupId,
        String state,
        Instant startedAt,
        long exportPid,
        String exportStartedAt,
        Path socket,
        Path dir,
        List<String> disks,
        List<Path> files) {
    public InstantSession {
        disks = disks == null ? List.of() : List.copyOf(disks);
        files = files == null ? List.of() : List.copyOf(files);
    }

    InstantSession withState(String s) {
        return new InstantSession(
                domain, backupId, s, startedAt, exportPid, exportStartedAt, socket, dir, disks, files);
    }

    InstantSession withExport(long pid, String started) {
        return new InstantSession(domain, backupId, state, startedAt, pid, started, socket, dir, disks, files);
    }

    InstantSession withFiles(List<Path> f) {
        return new InstantSession(
                domain, backupId, state, startedAt, exportPid, exportStartedAt, socket, dir, disks, f);
    }

    /** Whether the export process recorded here is still the same process and alive. */
    public boolean exportAlive() {
        return export().alive();
    }

    /** The export process recorded here. */
    public InstantRecovery.RunningExport export() {
        return new InstantRecovery.RunningExport(exportPid, exportStartedAt);
    }
}
