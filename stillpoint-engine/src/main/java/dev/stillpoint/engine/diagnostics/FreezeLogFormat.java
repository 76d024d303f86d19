package dev.stillpoint.engine.diagnostics;

/** The log formats {@code analyze freeze-log} reads; see package-info for examples of each. */
public enum FreezeLogFormat {
    /** The snapshot.log of seed 003's pre-freeze/post-thaw scripts: {@code <date>: H20152 IS FROZEN}. */
    CACHE_SNAPSHOT_LOG("cache-snapshot-log"),
    /** The per-instance log of Backup.General.ExternalFreeze/Thaw: {@code 01/04/2017 16:30:36: Backup.General.ExternalFreeze: System suspended}. */
    CACHE_BACKUP_LOG("cache-backup-log"),
    /** Seed 000's sample hooks: a line written by {@code date} (or {@code %date% %time%}) then a line {@code freeze}/{@code thaw}/{@code freezefail}. */
    HOOK_LOG("hook-log"),
    /** Seed 000's Nutanix Windows samples: {@code <%date% %time%> Running pre_freeze script}. */
    NUTANIX_SCRIPT_LOG("nutanix-script-log"),
    /** Stillpoint's own JSON report (stillpoint-guest's last-report.json). */
    STILLPOINT_REPORT("stillpoint-report");

    private final String id;

    FreezeLogFormat(String id) {
        this.id = id;
    }

    /** Stable name used in JSON output. */
    public String id() {
        return id;
    }
}
