package dev.stillpoint.engine.backup;

import dev.stillpoint.engine.catalog.BackupRecord;
import java.time.Duration;
import java.util.List;

/**
 * What a finished backup did.
 *
 * @param record the catalog row (id, mode, consistency, freeze window, disks, timings)
 * @param duration wall time of the whole job
 * @param warnings warnings raised (also in the record)
 */
public record BackupResult(BackupRecord record, Duration duration, List<String> warnings) {

    /** Bytes read per second of wall time (whole job). */
    public double throughput() {
        long ms = Math.max(1, duration.toMillis());
        return record.bytesRead() * 1000.0 / ms;
    }
}
