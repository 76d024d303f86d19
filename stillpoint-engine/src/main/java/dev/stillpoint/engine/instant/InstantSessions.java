package dev.stillpoint.engine.instant;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The state files of instant recoveries ({@code STATE_DIR/instant/NAME.json}), written atomically. */
public final class InstantSessions {
    private final Path dir;

    private InstantSessions(Path dir) {
        this.dir = dir;
    }

    public static InstantSessions open(Path stateDir) throws EngineException {
        Path d = stateDir.resolve("instant");
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw new EngineException(Code.STATE_DIR, "cannot create " + d + ": " + e.getMessage(), e);
        }
        return new InstantSessions(d);
    }

    public Path dir() {
        return dir;
    }

    void save(InstantSession s) throws EngineException {
        Path file = dir.resolve(s.domain() + ".json");
        Path tmp = dir.resolve("." + s.domain() + ".json.tmp");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", 1);
        m.put("domain", s.domain());
        m.put("backupId", s.backupId());
        m.put("state", s.state());
        m.put("startedAt", s.startedAt().toString());
        m.put("exportPid", s.exportPid());
        m.put("exportStartedAt", s.exportStartedAt());
        m.put("socket", s.socket().toString());
        m.put("dir", s.dir().toString());
        m.put("disks", s.disks());
        m.put("files", s.files().stream().map(Path::toString).toList());
        try {
            Files.writeString(tmp, JSON.std.asString(m));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new EngineException(Code.STATE_DIR, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    public Optional<InstantSession> find(String domain) throws EngineException {
        Path file = dir.resolve(domain + ".json");
        return Files.exists(file) ? Optional.of(read(file)) : Optional.empty();
    }

    public List<InstantSession> list() throws EngineException {
        List<InstantSession> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.json")) {
            for (Path p : s) out.add(read(p));
        } catch (IOException e) {
            throw new EngineException(Code.STATE_DIR, "cannot list " + dir + ": " + e.getMessage(), e);
        }
        out.sort((a, b) -> a.domain().compareTo(b.domain()));
        return out;
    }

    void remove(String domain) throws EngineException {
        try {
            Files.deleteIfExists(dir.resolve(domain + ".json"));
        } catch (IOException e) {
            throw new EngineException(
                    Code.STATE_DIR, "cannot remove the state of " + domain + ": " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static InstantSession read(Path file) throws EngineException {
        try {
            Map<String, Object> m = JSON.std.mapFrom(Files.readString(file));
            return new InstantSession(
                    str(m, "domain", file),
                    str(m, "backupId", file),
                    str(m, "state", file),
                    Instant.parse(str(m, "startedAt", file)),
                    ((Number) m.getOrDefault("exportPid", 0)).longValue(),
                    (String) m.get("exportStartedAt"),
                    Path.of(str(m, "socket", file)),
                    Path.of(str(m, "dir", file)),
                    (List<String>) m.getOrDefault("disks", List.of()),
                    ((List<String>) m.getOrDefault("files", List.of()))
                            .stream().map(Path::of).toList());
        } catch (IOException | RuntimeException e) {
            throw new EngineException(
                    Code.STATE_DIR, "instant-recovery state " + file + " is damaged: " + e.getMessage(), e);
        }
    }

    private static String str(Map<String, Object> m, String key, Path file) {
        if (m.get(key) instanceof String s) return s;
        throw new IllegalArgumentException("field '" + key + "' must be a string in " + file);
    }
}
