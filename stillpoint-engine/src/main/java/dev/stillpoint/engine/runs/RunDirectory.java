package dev.stillpoint.engine.runs;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The directory of run journals and domain locks ({@code STATE_DIR/runs}); see the package
 * documentation for the layout and the order of writes.
 */
public final class RunDirectory {
    /** Environment variable naming the state directory (default {@code /var/lib/stillpoint}). */
    public static final String STATE_DIR_ENV = "STILLPOINT_STATE_DIR";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;

    private RunDirectory(Path dir) {
        this.dir = dir;
    }

    /** Opens (creating when missing) the run directory below {@code stateDir}. */
    public static RunDirectory open(Path stateDir) throws EngineException {
        Path runs = stateDir.resolve("runs");
        try {
            Files.createDirectories(runs);
        } catch (IOException e) {
            throw new EngineException(
                    Code.STATE_DIR,
                    "cannot create the run journal directory " + runs + ": " + e.getMessage() + " (set " + STATE_DIR_ENV
                            + " to a writable directory)",
                    e);
        }
        return new RunDirectory(runs);
    }

    /** The state directory of this host: {@code $STILLPOINT_STATE_DIR}, else {@code /var/lib/stillpoint}. */
    public static Path defaultStateDir() {
        String env = System.getenv(STATE_DIR_ENV);
        if (env != null && !env.isBlank()) return Path.of(env);
        return Path.of(System.getProperty("stillpoint.stateDir", "/var/lib/stillpoint"));
    }

    public Path path() {
        return dir;
    }

    /** A new run id: 16 lowercase hex digits (the catalog's backup id format). */
    public static String newRunId() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * Takes the lock of a domain for the life of a run; fails with {@link Code#DOMAIN_BUSY} when a
     * live run holds it (the message names that run when its journal says who it is).
     */
    public DomainLock lockDomain(String uuid, String name) throws EngineException {
        Optional<DomainLock> lock = tryLockDomain(uuid);
        if (lock.isPresent()) return lock.get();
        String owner = liveRuns().stream()
                .filter(r -> uuid.equals(r.uuid()))
                .findFirst()
                .map(r -> r.command() + " run " + r.runId() + " (pid " + r.pid() + " on " + r.host() + ", started "
                        + r.startedAt() + ")")
                .orElse("another Stillpoint process");
        throw new EngineException(
                Code.DOMAIN_BUSY,
                "domain " + name + " is busy: " + owner
                        + " is working on it; wait for it to finish (one backup or vm snapshot change of a domain at a time)");
    }

    /** The domain's lock, or empty when a live run holds it. */
    public Optional<DomainLock> tryLockDomain(String uuid) throws EngineException {
        Path file = dir.resolve("domain-" + safe(uuid) + ".lock");
        Optional<FileLock> lock = tryLock(file);
        return lock.map(l -> new DomainLock(uuid, l));
    }

    /** Starts the journal of a new run (its lock held until {@link RunJournal#close()}). */
    public RunJournal start(String runId, String command) throws EngineException {
        Path lockFile = dir.resolve("run-" + safe(runId) + ".lock");
        FileLock lock = tryLock(lockFile)
                .orElseThrow(
                        () -> new EngineException(Code.STATE_DIR, "run id " + runId + " is already in use in " + dir));
        RunJournal journal = new RunJournal(
                dir.resolve("run-" + runId + ".json"), lockFile, lock, RunRecord.forThisProcess(runId, command));
        journal.save();
        return journal;
    }

    /** Journals of runs whose owner is dead, each with its lock now held by the caller. */
    public List<DeadRun> deadRuns() throws EngineException {
        List<DeadRun> out = new ArrayList<>();
        for (Path json : journals()) {
            Path lockFile = lockFileOf(json);
            if (!Files.exists(lockFile)) {
                // the owner deletes its journal before its lock file, so this is a journal whose lock
                // file was removed by hand: take a new lock on a new file
                try {
                    Files.createFile(lockFile);
                } catch (IOException e) {
                    continue; // someone else created it: decided on the next listing
                }
            }
            Optional<FileLock> lock = tryLock(lockFile);
            if (lock.isEmpty()) continue; // alive
            if (!Files.exists(json)) { // finished between the listing and the lock
                release(lock.get());
                continue;
            }
            try {
                out.add(new DeadRun(json, lockFile, lock.get(), RunRecord.read(json)));
            } catch (EngineException e) {
                out.add(new DeadRun(json, lockFile, lock.get(), null));
            }
        }
        removeUnstartedJournals();
        return out;
    }

    /**
     * A run killed inside its first journal save leaves {@code run-ID.json.tmp} and its lock file
     * but no journal: it created nothing yet (the journal is written first), so both go once the
     * lock shows the owner dead.
     */
    private void removeUnstartedJournals() throws EngineException {
        List<Path> tmps = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "run-*.json.tmp")) {
            for (Path p : s) tmps.add(p);
        } catch (IOException e) {
            throw new EngineException(Code.STATE_DIR, "cannot list run journals in " + dir + ": " + e.getMessage(), e);
        }
        for (Path tmp : tmps) {
            String n = tmp.getFileName().toString();
            Path json = tmp.resolveSibling(n.substring(0, n.length() - ".tmp".length()));
            if (Files.exists(json)) continue; // a journal being rewritten, or a dead run's: forget() removes it
            Path lockFile = lockFileOf(json);
            Optional<FileLock> lock = Files.exists(lockFile) ? tryLock(lockFile) : Optional.empty();
            if (Files.exists(lockFile) && lock.isEmpty()) continue; // its owner is alive
            try {
                if (!Files.exists(json)) {
                    Files.deleteIfExists(tmp);
                    Files.deleteIfExists(lockFile);
                }
            } catch (IOException e) {
                throw new EngineException(Code.STATE_DIR, "cannot remove " + tmp + ": " + e.getMessage(), e);
            } finally {
                lock.ifPresent(RunDirectory::release);
            }
        }
    }

    /** Journals of runs whose owner is alive (for messages and {@code snapshots audit}). */
    public List<RunRecord> liveRuns() {
        List<RunRecord> out = new ArrayList<>();
        try {
            for (Path json : journals()) {
                Path lockFile = lockFileOf(json);
                if (!Files.exists(lockFile)) continue;
                Optional<FileLock> lock;
                try {
                    lock = tryLock(lockFile);
                } catch (EngineException e) {
                    continue;
                }
                if (lock.isPresent()) { // dead: not ours to report as live
                    release(lock.get());
                    continue;
                }
                try {
                    out.add(RunRecord.read(json));
                } catch (EngineException ignored) {
                    // being rewritten or removed right now
                }
            }
        } catch (EngineException ignored) {
            // an unreadable directory has no live runs to name
        }
        return out;
    }

    private List<Path> journals() throws EngineException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "run-*.json")) {
            for (Path p : s) out.add(p);
        } catch (IOException e) {
            throw new EngineException(Code.STATE_DIR, "cannot list run journals in " + dir + ": " + e.getMessage(), e);
        }
        out.sort(null);
        return out;
    }

    private static Path lockFileOf(Path json) {
        String n = json.getFileName().toString();
        return json.resolveSibling(n.substring(0, n.length() - ".json".length()) + ".lock");
    }

    static Optional<FileLock> tryLock(Path file) throws EngineException {
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = ch.tryLock();
            if (lock == null) {
                ch.close();
                return Optional.empty();
            }
            return Optional.of(lock);
        } catch (OverlappingFileLockException e) { // held by this JVM
            closeQuietly(ch);
            return Optional.empty();
        } catch (IOException e) {
            closeQuietly(ch);
            throw new EngineException(Code.STATE_DIR, "cannot lock " + file + ": " + e.getMessage(), e);
        }
    }

    static void release(FileLock lock) {
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel drops the lock too
        }
        closeQuietly(lock.channel());
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch == null) return;
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing held
        }
    }

    private static String safe(String s) {
        if (s == null || !s.matches("[A-Za-z0-9_.-]{1,80}")) {
            throw new IllegalArgumentException("not a safe file name part: '" + s + "'");
        }
        return s;
    }

    /** The lock of one domain, held until closed. */
    public static final class DomainLock implements AutoCloseable {
        private final String uuid;
        private final FileLock lock;

        DomainLock(String uuid, FileLock lock) {
            this.uuid = uuid;
            this.lock = lock;
        }

        public String uuid() {
            return uuid;
        }

        @Override
        public void close() {
            release(lock);
        }
    }
}
