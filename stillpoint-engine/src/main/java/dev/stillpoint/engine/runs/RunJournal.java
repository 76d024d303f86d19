package dev.stillpoint.engine.runs;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.UnaryOperator;

/**
 * The journal of a live run, written by its owner: each {@link #update} replaces the file
 * atomically (temp file + rename; no fsync: the journal must survive the process, and a reboot of
 * the host ends libvirt's jobs and QEMU's exports anyway). {@link #close()} deletes the journal,
 * then the lock file, then drops the lock.
 */
public final class RunJournal implements AutoCloseable {
    private final Path file;
    private final Path lockFile;
    private final FileLock lock;
    private RunRecord record;
    private boolean closed;

    RunJournal(Path file, Path lockFile, FileLock lock, RunRecord record) {
        this.file = file;
        this.lockFile = lockFile;
        this.lock = lock;
        this.record = record;
    }

    public RunRecord record() {
        return record;
    }

    public Path file() {
        return file;
    }

    /** Writes {@code change(record)} before the caller creates what it names. */
    public synchronized void update(UnaryOperator<RunRecord> change) throws EngineException {
        if (closed) throw new IllegalStateException("run journal " + file + " is closed");
        record = change.apply(record);
        save();
    }

    /** Where {@link #save()} writes before it renames onto the journal. */
    static Path tmpOf(Path journal) {
        return journal.resolveSibling(journal.getFileName() + ".tmp");
    }

    synchronized void save() throws EngineException {
        Path tmp = tmpOf(file);
        try {
            Files.writeString(tmp, JSON.std.asString(record.toMap()));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new EngineException(Code.STATE_DIR, "cannot write run journal " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The run is over but could not undo everything (e.g. libvirtd was unreachable): the journal
     * stays and the lock is dropped, so the next run recovers what it names.
     */
    public synchronized void abandon() {
        if (closed) return;
        closed = true;
        RunDirectory.release(lock);
    }

    /** The run is over and everything it created is either recorded or undone. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            Files.deleteIfExists(file);
            Files.deleteIfExists(lockFile);
        } catch (IOException ignored) {
            // a leftover journal of a finished run is recovered harmlessly: nothing it names exists
        } finally {
            RunDirectory.release(lock);
        }
    }
}
