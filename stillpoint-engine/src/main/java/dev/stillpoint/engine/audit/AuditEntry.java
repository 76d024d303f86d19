package dev.stillpoint.engine.audit;

import java.time.Duration;

/**
 * Something left on a domain that costs space or speed, as {@code snapshots audit} lists it.
 *
 * @param kind     as the connector reports it: {@code checkpoint}, {@code internal-snapshot},
 *                 {@code external-snapshot} (an overlay file); {@code run} (a Stillpoint run in
 *                 progress) and {@code dead-run} (one whose process died and whose leftovers no later
 *                 run has undone yet)
 * @param sizeBytes bytes (checkpoint: dirty bytes since it; overlay: file size); -1 when unknown
 * @param owner    {@code stillpoint} (a checkpoint the catalog records), {@code stillpoint-unrecorded}
 *                 (named like ours but unknown to the catalog: an interrupted run), or {@code other}
 * @param age      time since creation (null when unknown)
 * @param flagged  true when it needs attention: unknown checkpoints, every snapshot and overlay
 */
public record AuditEntry(
        String domain,
        String kind,
        String name,
        String path,
        long sizeBytes,
        Duration age,
        String owner,
        boolean flagged,
        String note) {}
