package dev.stillpoint.engine.runs;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one run wrote into its journal: who it is and what it created (or was about to create).
 * Immutable; the owner replaces it with {@code with*} copies. Read back defensively: a field of
 * the wrong type is a damaged journal ({@link Code#STATE_DIR} naming the file and field).
 */
public record RunRecord(
        int version,
        String runId,
        String command,
        long pid,
        String pidStartedAt,
        String host,
        Instant startedAt,
        String domain,
        String uuid,
        String catalog,
        String phase,
        String workDir,
        String socket,
        String checkpoint,
        boolean backupJob,
        List<String> files,
        String definedDomain,
        String snapshot) {
    static final int VERSION = 1;

    public RunRecord {
        files = files == null ? List.of() : List.copyOf(files);
    }

    static RunRecord forThisProcess(String runId, String command) {
        ProcessHandle self = ProcessHandle.current();
        String started = self.info().startInstant().map(Instant::toString).orElse(null);
        return new RunRecord(
                VERSION,
                runId,
                command,
                self.pid(),
                started,
                hostName(),
                Instant.now(),
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                false,
                List.of(),
                null,
                null);
    }

    public RunRecord withDomain(String name, String vmUuid) {
        return with(d -> {
            d.domain = name;
            d.uuid = vmUuid;
        });
    }

    public RunRecord withCatalog(Path file) {
        return with(d -> d.catalog = file == null ? null : file.toAbsolutePath().toString());
    }

    public RunRecord withPhase(String p) {
        return with(d -> d.phase = p);
    }

    public RunRecord withWorkDir(Path dir) {
        return with(d -> d.workDir = dir.toAbsolutePath().toString());
    }

    /** The pull backup about to begin: its NBD socket and new checkpoint (written before the call). */
    public RunRecord withBackupJob(Path nbdSocket, String newCheckpoint) {
        return with(d -> {
            d.socket = nbdSocket.toAbsolutePath().toString();
            d.checkpoint = newCheckpoint;
            d.backupJob = true;
        });
    }

    /** The backup job has ended (its checkpoint stays until the catalog records it). */
    public RunRecord withBackupJobEnded() {
        return with(d -> d.backupJob = false);
    }

    /** The checkpoint is recorded in the catalog (or deleted): recovery must leave it alone. */
    public RunRecord withoutCheckpoint() {
        return with(d -> d.checkpoint = null);
    }

    public RunRecord withFiles(List<Path> paths) {
        return with(d -> {
            for (Path p : paths) d.files.add(p.toAbsolutePath().toString());
        });
    }

    /** The output files now belong to a defined domain: recovery keeps them. */
    public RunRecord withDefinedDomain(String name) {
        return with(d -> {
            d.files.clear();
            d.definedDomain = name;
        });
    }

    /** A throwaway domain this run defines (verify --boot): recovery destroys and undefines it. */
    public RunRecord withThrowawayDomain(String name) {
        return with(d -> d.definedDomain = name);
    }

    /**
     * A VM snapshot about to be created with these external overlays (written before the call):
     * recovery deletes the overlays unless the domain has the snapshot or a disk uses them.
     */
    public RunRecord withSnapshot(String name, List<Path> overlays) {
        return with(d -> {
            d.snapshot = name;
            for (Path p : overlays) d.files.add(p.toAbsolutePath().toString());
        });
    }

    /** The snapshot exists (its overlays belong to it): recovery must leave them alone. */
    public RunRecord withSnapshotCreated() {
        return with(d -> {
            d.snapshot = null;
            d.files.clear();
        });
    }

    /** A copy with {@code change} applied to its changeable fields (the run's identity stays). */
    private RunRecord with(java.util.function.Consumer<Changes> change) {
        Changes c = new Changes(this);
        change.accept(c);
        return new RunRecord(
                version,
                runId,
                command,
                pid,
                pidStartedAt,
                host,
                startedAt,
                c.domain,
                c.uuid,
                c.catalog,
                c.phase,
                c.workDir,
                c.socket,
                c.checkpoint,
                c.backupJob,
                c.files,
                c.definedDomain,
                c.snapshot);
    }

    /** The fields a run changes while it goes on. */
    private static final class Changes {
        String domain;
        String uuid;
        String catalog;
        String phase;
        String workDir;
        String socket;
        String checkpoint;
        boolean backupJob;
        final List<String> files;
        String definedDomain;
        String snapshot;

        Changes(RunRecord r) {
            domain = r.domain;
            uuid = r.uuid;
            catalog = r.catalog;
            phase = r.phase;
            workDir = r.workDir;
            socket = r.socket;
            checkpoint = r.checkpoint;
            backupJob = r.backupJob;
            files = new ArrayList<>(r.files);
            definedDomain = r.definedDomain;
            snapshot = r.snapshot;
        }
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", version);
        m.put("runId", runId);
        m.put("command", command);
        m.put("pid", pid);
        m.put("pidStartedAt", pidStartedAt);
        m.put("host", host);
        m.put("startedAt", startedAt.toString());
        m.put("domain", domain);
        m.put("uuid", uuid);
        m.put("catalog", catalog);
        m.put("phase", phase);
        m.put("workDir", workDir);
        m.put("socket", socket);
        m.put("checkpoint", checkpoint);
        m.put("backupJob", backupJob);
        m.put("files", files);
        m.put("definedDomain", definedDomain);
        m.put("snapshot", snapshot);
        return m;
    }

    static RunRecord read(Path file) throws EngineException {
        Map<String, Object> m;
        try {
            m = JSON.std.mapFrom(Files.readString(file));
        } catch (IOException | RuntimeException e) {
            throw new EngineException(
                    Code.STATE_DIR, "run journal " + file + " is not a JSON object: " + e.getMessage(), e);
        }
        Fields f = new Fields(file, m);
        int version = (int) f.number("version", true);
        if (version != VERSION) {
            throw new EngineException(
                    Code.STATE_DIR,
                    "run journal " + file + ": field 'version' is " + version + "; this Stillpoint reads version "
                            + VERSION);
        }
        Instant started;
        try {
            started = Instant.parse(f.string("startedAt", true));
        } catch (RuntimeException e) {
            throw new EngineException(
                    Code.STATE_DIR, "run journal " + file + ": field 'startedAt' is not an ISO-8601 time");
        }
        return new RunRecord(
                version,
                f.string("runId", true),
                f.string("command", true),
                f.number("pid", true),
                f.string("pidStartedAt", false),
                f.string("host", false),
                started,
                f.string("domain", false),
                f.string("uuid", false),
                f.string("catalog", false),
                f.string("phase", false),
                f.string("workDir", false),
                f.string("socket", false),
                f.string("checkpoint", false),
                Boolean.TRUE.equals(f.value("backupJob")),
                f.strings("files"),
                f.string("definedDomain", false),
                f.string("snapshot", false));
    }

    private record Fields(Path file, Map<String, Object> m) {
        Object value(String name) {
            return m.get(name);
        }

        String string(String name, boolean required) throws EngineException {
            Object v = m.get(name);
            if (v == null && !required) return null;
            if (v instanceof String s) return s;
            throw bad(name, "a string");
        }

        long number(String name, boolean required) throws EngineException {
            Object v = m.get(name);
            if (v instanceof Number n) return n.longValue();
            if (v == null && !required) return 0;
            throw bad(name, "a number");
        }

        List<String> strings(String name) throws EngineException {
            Object v = m.get(name);
            if (v == null) return List.of();
            if (!(v instanceof List<?> list)) throw bad(name, "a list of strings");
            List<String> out = new ArrayList<>();
            for (Object o : list) {
                if (!(o instanceof String s)) throw bad(name, "a list of strings");
                out.add(s);
            }
            return out;
        }

        private EngineException bad(String name, String what) {
            return new EngineException(
                    Code.STATE_DIR, "run journal " + file + ": field '" + name + "' must be " + what);
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
