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
        byte[] json = FileCodec.decode(crypto, "record", file, 0, file.length, what);
        try {
            Map<String, Object> m = JSON.std.mapFrom(json);
            int version = ((Number) m.get("version")).intValue();
            if (version != 1)
                throw new RepositoryException(
                        RepositoryException.Code.UNSUPPORTED_VERSION,
                        what + ": record version " + version + " is not supported (1)");
            Map<String, String> snapshots = new LinkedHashMap<>();
            if (m.get("snapshots") instanceof Map<?, ?> s)
                s.forEach((k, v) -> snapshots.put(String.valueOf(k), String.valueOf(v)));
            return new RepositoryRecord(
                    id, (String) m.get("name"), Instant.parse((String) m.get("time")), snapshots, (String)
                            m.get("body"));
        } catch (RepositoryException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new RepositoryException(RepositoryException.Code.CORRUPT, what + ": malformed record: " + e, e);
        }
    }
}
