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
        String definedDomain) {
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
                null);
    }

    public RunRecord withDomain(String name, String vmUuid) {
        return new RunRecord(
                version,
                runId,
                command,
                pid,
                pidStartedAt,
                host,
                startedAt,
                name,
                vmUuid,
                catalog,
                phase,
                workDir,
                socket,
                checkpoint,
                backupJob,
                files,
                definedDomain);
    }

    public RunRecord withCatalog(Path file) {
        return new RunRecord(
                version,
                runId,
                command,
                pid,
                pidStartedAt,
                host,
                startedAt,
                domain,
                uuid,
                file == null ? null : file.toAbsolutePath().toString(),
                phase,
                workDir,
                socket,
                checkpoint,
                backupJob,
                files,
                definedDomain);
    }

    public RunRecord withPhase(String p) {
        return new RunRecord(
                version,
                runId,
                command,
                pid,
                pidStartedAt,
                host,
                startedAt,
                domain,
                uuid,
                catalog,
                p,
                workDir,
                socket,
                checkpoint,
                backupJob,
                files,
                definedDomain);
    }

    public RunRecord withWorkDir(Path dir) {
        return new RunRecord(
                version,
                runId,
                command,
                pid,
                pidStartedAt,
                host,
                startedAt,
                domain,
                uuid,
                catalog,
                phase,
                dir.toAbsolutePath().toString(),
                socket,
                checkpoint,
                backupJob,
                files,
                definedDomain);
    }

    /** The pull backup about to begin: its NBD socket and new checkpoint (written before the call). */
    public RunRecord withBackupJob(Path nbdSocket, String newCheckpoint) {
        return new RunRecord(
                version,
                runId,
                command,
                pid,
                pidStartedAt,
                host,
                startedAt,
                domain,
                uuid,
                catalog,
                phase,
                workDir,
                nbdSocket.toAbsolutePath().toString(),
                newCheckpoint,
                true,
                files,
                definedDomain);
    }

    /** The backup job has ended (its checkpoint stays until the catalog records it). */
    public RunRecord withBackupJobEnded() {
        return new RunRecord(
                version,
                runId,
                command,
                pid,
                pidStartedAt,
                host,
                startedAt,
                domain,
                uuid,
                catalog,
                phase,
                workDir,
                socket,
                checkpoint,
                false,
                files,
                definedDomain);
    }

    /** The checkpoint is recorded in the catalog (or deleted): recovery must leave it alone. */
    public RunRecord withoutCheckpoint() {
        return new RunRecord(
                version,
                runId,
                command,
                pid,
                pidStartedAt,
                host,
                startedAt,
                domain,
                uuid,
                catalog,
                phase,
                workDir,
                socket,
                null,
                backupJob,
                files,
                definedDomain);
    }

    public RunRecord withFiles(List<Path> paths) {
        List<String> all = new ArrayList<>(files);
        for (Path p : paths) all.add(p.toAbsolutePath().toString());
        return new RunRecord(
                version,
                runId,
                command,
                pid,
                pidStartedAt,
                host,
                startedAt,
                domain,
                uuid,
                catalog,
                phase,
                workDir,
                socket,
                checkpoint,
                backupJob,
                all,
                definedDomain);
    }

    /** The output files now belong to a defined domain: recovery keeps them. */
    public RunRecord withDefinedDomain(String name) {
        return new RunRecord(
                version,
                runId,
                command,
                pid,
                pidStartedAt,
                host,
                startedAt,
                domain,
                uuid,
                catalog,
                phase,
                workDir,
                socket,
                checkpoint,
                backupJob,
                List.of(),
                name);
    }

    /** A throwaway domain this run defines (verify --boot): recovery destroys and undefines it. */
    public RunRecord withThrowawayDomain(String name) {
        return new RunRecord(
                version,
                runId,
                command,
                pid,
                pidStartedAt,
                host,
                startedAt,
                domain,
                uuid,
                catalog,
                phase,
                workDir,
                socket,
                checkpoint,
                backupJob,
                files,
                name);
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
                f.string("definedDomain", false));
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
