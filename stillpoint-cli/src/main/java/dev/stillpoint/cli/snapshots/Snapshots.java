package dev.stillpoint.cli.snapshots;

import dev.stillpoint.repository.SnapshotInfo;
import java.util.LinkedHashMap;
import java.util.Map;

/** JSON shape of a snapshot, shared by the repository commands. */
public final class Snapshots {
    private Snapshots() {}

    public static Map<String, Object> json(SnapshotInfo s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id());
        m.put("shortId", s.id().substring(0, 8));
        m.put("name", s.name());
        m.put("time", s.time().toString());
        m.put("size", s.size());
        m.put("allocatedBytes", s.allocatedBytes());
        m.put("storedBytes", s.storedBytes());
        if (s.parent() != null) m.put("parent", s.parent());
        m.put("tags", s.tags());
        return m;
    }
}
