package dev.stillpoint.engine.runs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A journal save interrupted by a kill leaves {@code run-ID.json.tmp}: the next run removes it. */
class RunDirectoryTest {
    @TempDir
    Path tmp;

    RunDirectory runs;

    @BeforeEach
    void setUp() throws Exception {
        runs = RunDirectory.open(tmp);
    }

    @Test
    void aDeadRunsUnfinishedSaveGoesWithItsJournal() throws Exception {
        RunJournal journal = runs.start("00000000000000a1", "backup");
        Path tmpFile = RunJournal.tmpOf(journal.file());
        Files.writeString(tmpFile, "{\"half\":");
        journal.abandon(); // as if killed: the journal stays, its lock is free

        List<DeadRun> dead = runs.deadRuns();
        assertThat(dead).hasSize(1);
        try (DeadRun run = dead.getFirst()) {
            run.forget();
        }
        assertThat(runs.path()).isEmptyDirectory();
    }

    @Test
    void aRunKilledInsideItsFirstSaveLeavesNothingBehind() throws Exception {
        Path tmpFile = runs.path().resolve("run-00000000000000b2.json.tmp");
        Files.writeString(tmpFile, "{\"half\":");
        Files.createFile(runs.path().resolve("run-00000000000000b2.lock"));

        assertThat(runs.deadRuns()).isEmpty();
        assertThat(runs.path()).isEmptyDirectory();
    }

    @Test
    void aLiveRunsFirstSaveIsLeftAlone() throws Exception {
        Path lockFile = runs.path().resolve("run-00000000000000c3.lock");
        Optional<FileLock> held = RunDirectory.tryLock(lockFile);
        assertThat(held).isPresent();
        Path tmpFile = runs.path().resolve("run-00000000000000c3.json.tmp");
        Files.writeString(tmpFile, "{\"half\":");
        try {
            assertThat(runs.deadRuns()).isEmpty();
            assertThat(tmpFile).exists();
            assertThat(lockFile).exists();
        } finally {
            RunDirectory.release(held.get());
        }
    }
}
