package dev.stillpoint.engine.runs;

import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The journal of a run whose owner died, with its lock now held by the recovering process.
 * {@link #record()} is null when the journal could not be read (damaged); {@link #forget()}
 * removes it once everything it names is undone.
 */
public final class DeadRun implements AutoCloseable {
    private final Path file;
    private final Path lockFile;
    private final FileLock lock;
    private final RunRecord record;

    DeadRun(Path file, Path lockFile, FileLock lock, RunRecord record) {
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

    /**
     * Deletes the journal and its lock file (recovery done), and the journal's temporary file if
     * the owner died inside a save: a save comes before what it names is created, so that file
     * names nothing that exists.
     */
    public void forget() throws IOException {
        Files.deleteIfExists(RunJournal.tmpOf(file));
        Files.deleteIfExists(file);
        Files.deleteIfExists(lockFile);
    }

    @Override
    public void close() {
        RunDirectory.release(lock);
    }
}
