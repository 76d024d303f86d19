package dev.stillpoint.engine.catalog;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One VM backup as the catalog records it: which repository snapshots (one per disk) belong
 * together, from which domain, how consistent it is and how long each phase took.
 *
 * @param id             backup id (16 lowercase hex digits); a unique prefix finds it
 * @param status         {@code complete} or {@code failed}
 * @param mode           {@code full} or {@code incremental}
 * @param consistency    {@code application}, {@code filesystem}, {@code crash} or {@code clean-shutdown}
 * @param checkpoint     libvirt checkpoint created by this backup (null for offline/failed ones)
 * @param parentBackup   backup this incremental was taken against (null for a full)
 * @param domainXml      inactive domain XML at backup time (for restore --define)
 * @param guestReport    the in-guest hook runner's JSON report read after thaw (or null)
 * @param freezeWindowMs freeze sent to thaw returned, ms (null when the guest was not frozen)
 * @param phaseMs        milliseconds per phase: preflight, freeze, begin, thaw, copy, end
 * @param warnings       what went less than perfectly (e.g. bitmap drift fallback)
 */
public record BackupRecord(String id, String vmName, String vmUuid, Instant startedAt, Instant finishedAt,
                           String status, String mode, String consistency, String checkpoint,
                           String parentBackup, String domainXml, String guestReport, Long freezeWindowMs,
                           Map<String, Long> phaseMs, long bytesRead, long bytesStored, long diskSize,
                           String error, List<String> warnings, List<DiskRecord> disks) {

    public static final String COMPLETE = "complete";
    public static final String FAILED = "failed";

    public BackupRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(vmName, "vmName");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(status, "status");
        phaseMs = phaseMs == null ? Map.of() : Map.copyOf(phaseMs);
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
        disks = disks == null ? List.of() : List.copyOf(disks);
    }

    public boolean complete() { return COMPLETE.equals(status); }

    /** The disk record for a target, or null. */
    public DiskRecord disk(String target) {
        return disks.stream().filter(d -> d.target().equals(target)).findFirst().orElse(null);
    }
}
