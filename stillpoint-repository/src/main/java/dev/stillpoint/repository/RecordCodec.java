package dev.stillpoint.repository;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A record object, {@code records/<id>} = FileCodec("record", JSON) where the id is the SHA-256
 * of the stored file. JSON fields: version (1), name, time, snapshots (role to snapshot id),
 * body (the writer's description, a string).
 */
final class RecordCodec {
    private RecordCodec() {}

    static final String PREFIX = "records/";

    static String objectName(String id) {
        return PREFIX + id;
    }

    static byte[] encode(Crypto crypto, String name, Instant time, Map<String, String> snapshots, String body)
            throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", 1);
        m.put("name", name);
        m.put("time", time.toString());
        m.put("snapshots", new TreeMap<>(snapshots));
        m.put("body", body);
        return FileCodec.encode(crypto, "record", JSON.std.asBytes(m));
    }

    static RepositoryRecord decode(Crypto crypto, String id, byte[] file) throws RepositoryException {
        String what = "record " + id;
        if (!Hex.of(Crypto.sha256(file, 0, file.length)).equals(id))
            throw FileCodec.corrupt(what, "file content does not match its id (damaged or truncated)");
        Map<String, Object> m = FileCodec.decodeJson(crypto, "record", "record", file, what);
        try {
            return new RepositoryRecord(
                    id,
                    (String) m.get("name"),
                    Instant.parse((String) m.get("time")),
                    FileCodec.strings(m.get("snapshots")),
                    (String) m.get("body"));
        } catch (RuntimeException e) {
            throw FileCodec.malformed("record", what, e);
        }
    }
}
