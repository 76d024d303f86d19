package dev.stillpoint.repository;

import java.time.Instant;
import java.util.Map;

/**
 * A committed image snapshot as listed by the repository.
 *
 * @param storedBytes bytes newly added to the repository by this snapshot (after dedup/compression)
 */
public record SnapshotInfo(
        String id,
        String name,
        Instant time,
        long size,
        String parent,
        Map<String, String> tags,
        long allocatedBytes,
        long storedBytes) {}
