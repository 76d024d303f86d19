package dev.stillpoint.engine.catalog;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One VM backup as the catalog records it: which repository snapshots (one per disk) belong
 * together, from which domain, how consistent it is and how long each phase took. Built with
 * {@link #builder}; every field but id, domain name, start and status may stay unset (null or 0).
 *
 * @param id             backup id (16 lowercase hex digits); a unique prefix finds it
 * @param mode           full or incremental (null for a failed backup)
 * @param consistency    the level reached (null for a failed backup)
 * @param checkpoint     libvirt checkpoint created by this backup (null for offline/failed ones)
 * @param parentBackup   backup this incremental was taken against (null for a full)
 * @param domainXml      inactive domain XML at backup time (for restore --define)
 * @param guestReport    the in-guest hook runner's JSON report read after thaw (or null)
 * @param freezeWindowMs freeze sent to thaw returned, ms (null when the guest was not frozen)
 * @param phaseMs        milliseconds per phase
 * @param error          why a failed backup failed ({@value #INTERRUPTED}: its process died; recovered later)
 * @param warnings       what went less than perfectly (e.g. bitmap drift fallback)
 */
public record BackupRecord(
        String id,
        String vmName,
        String vmUuid,
        Instant startedAt,
        Instant finishedAt,
        Status status,
        Mode mode,
        Consistency consistency,
        String checkpoint,
        String parentBackup,
        String domainXml,
        String guestReport,
        Long freezeWindowMs,
        Map<Phase, Long> phaseMs,
        long bytesRead,
        long bytesStored,
        long diskSize,
        String error,
        List<String> warnings,
        List<DiskRecord> disks) {

    /** The start of {@link #error} of a backup whose process died and a later run cleaned up. */
    public static final String INTERRUPTED = "interrupted";

    /** Whether the backup finished. */
    public enum Status {
        COMPLETE,
        FAILED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Status ofLabel(String label) {
            return valueOf(label.toUpperCase(Locale.ROOT));
        }
    }

    /** What was read: every allocated extent, or the extents changed since the parent. */
    public enum Mode {
        FULL,
        INCREMENTAL;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Mode ofLabel(String label) {
            return label == null ? null : valueOf(label.toUpperCase(Locale.ROOT));
        }
    }

    public BackupRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(vmName, "vmName");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(status, "status");
        phaseMs = phaseMs == null ? Map.of() : Map.copyOf(phaseMs);
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
        disks = disks == null ? List.of() : List.copyOf(disks);
    }

    public static Builder builder(String id, String vmName, Instant startedAt) {
        return new Builder(id, vmName, startedAt);
    }

    /** A builder holding this record's values (to change a few). */
    public Builder toBuilder() {
        return new Builder(id, vmName, startedAt)
                .vmUuid(vmUuid)
                .finishedAt(finishedAt)
                .status(status)
                .mode(mode)
                .consistency(consistency)
                .checkpoint(checkpoint)
                .parentBackup(parentBackup)
                .domainXml(domainXml)
                .guestReport(guestReport)
                .freezeWindowMs(freezeWindowMs)
                .phaseMs(phaseMs)
                .bytes(bytesRead, bytesStored, diskSize)
                .error(error)
                .warnings(warnings)
                .disks(disks);
    }

    public boolean complete() {
        return status == Status.COMPLETE;
    }

    /** The disk record for a target, or null. */
    public DiskRecord disk(String target) {
        return disks.stream().filter(d -> d.target().equals(target)).findFirst().orElse(null);
    }

    /** Builds a {@link BackupRecord}; status defaults to failed until set. */
    public static final class Builder {
        private final String id;
        private final String vmName;
        private final Instant startedAt;
        private String vmUuid;
        private Instant finishedAt;
        private Status status = Status.FAILED;
        private Mode mode;
        private Consistency consistency;
        private String checkpoint;
        private String parentBackup;
        private String domainXml;
        private String guestReport;
        private Long freezeWindowMs;
        private Map<Phase, Long> phaseMs;
        private long bytesRead;
        private long bytesStored;
        private long diskSize;
        private String error;
        private List<String> warnings;
        private List<DiskRecord> disks;

        private Builder(String id, String vmName, Instant startedAt) {
            this.id = id;
            this.vmName = vmName;
            this.startedAt = startedAt;
        }

        public Builder vmUuid(String v) {
            vmUuid = v;
            return this;
        }

        public Builder finishedAt(Instant v) {
            finishedAt = v;
            return this;
        }

        public Builder status(Status v) {
            status = v;
            return this;
        }

        public Builder mode(Mode v) {
            mode = v;
            return this;
        }

        public Builder consistency(Consistency v) {
            consistency = v;
            return this;
        }

        public Builder checkpoint(String v) {
            checkpoint = v;
            return this;
        }

        public Builder parentBackup(String v) {
            parentBackup = v;
            return this;
        }

        public Builder domainXml(String v) {
            domainXml = v;
            return this;
        }

        public Builder guestReport(String v) {
            guestReport = v;
            return this;
        }

        public Builder freezeWindowMs(Long v) {
            freezeWindowMs = v;
            return this;
        }

        public Builder phaseMs(Map<Phase, Long> v) {
            phaseMs = v;
            return this;
        }

        public Builder bytes(long read, long stored, long size) {
            bytesRead = read;
            bytesStored = stored;
            diskSize = size;
            return this;
        }

        public Builder error(String v) {
            error = v;
            return this;
        }

        public Builder warnings(List<String> v) {
            warnings = v;
            return this;
        }

        public Builder disks(List<DiskRecord> v) {
            disks = v;
            return this;
        }

        public BackupRecord build() {
            return new BackupRecord(
                    id,
                    vmName,
                    vmUuid,
                    startedAt,
                    finishedAt,
                    status,
                    mode,
                    consistency,
                    checkpoint,
                    parentBackup,
                    domainXml,
                    guestReport,
                    freezeWindowMs,
                    phaseMs,
                    bytesRead,
                    bytesStored,
                    diskSize,
                    error,
                    warnings,
                    disks);
        }
    }
}
