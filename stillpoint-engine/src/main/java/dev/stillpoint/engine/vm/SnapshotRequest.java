package dev.stillpoint.engine.vm;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * What to snapshot.
 *
 * @param name        the snapshot's name
 * @param description its description (null for none)
 * @param overlays    for an external disk-only snapshot: disk target → overlay file, named
 *                    explicitly (disks not listed are left out of the snapshot); empty for an
 *                    internal snapshot, which includes the memory when the domain runs
 */
public record SnapshotRequest(String name, String description, Map<String, Path> overlays) {
    public SnapshotRequest {
        Objects.requireNonNull(name, "name");
        overlays = Map.copyOf(overlays);
    }

    public boolean external() {
        return !overlays.isEmpty();
    }
}
