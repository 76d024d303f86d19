package dev.stillpoint.repository;

import java.time.Instant;
import java.util.Map;

/**
 * A record stored in the repository beside the snapshots it describes ({@code records/<id>}):
 * what a VM backup was, so that a new host can rebuild its catalog from the repository alone.
 * The repository keeps the body opaque; it knows only which snapshots the record names, so that
 * {@code forget} and {@code prune} remove the record with them and {@code copy} can rename them.
 *
 * @param id        SHA-256 of the stored object (hex)
 * @param name      what the record describes, e.g. a backup id; several records may share a name
 *                  (a later one, e.g. with a verification added, supersedes an earlier one)
 * @param time      when the record was first written
 * @param snapshots snapshot ids by role (e.g. disk target {@code vda}), all in this repository
 *                  when the record was written
 * @param body      the writer's description (the engine's JSON)
 */
public record RepositoryRecord(String id, String name, Instant time, Map<String, String> snapshots, String body) {
    public RepositoryRecord {
        snapshots = Map.copyOf(snapshots);
    }
}
