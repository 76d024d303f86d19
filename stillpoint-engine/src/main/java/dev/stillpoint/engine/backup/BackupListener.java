package dev.stillpoint.engine.backup;

import dev.stillpoint.engine.catalog.BackupRecord.Mode;
import dev.stillpoint.engine.catalog.Phase;
import java.time.Duration;

/** Events of a running backup; the CLI renders them as text or JSON lines. Called on the job's thread. */
public interface BackupListener {
    BackupListener NONE = new BackupListener() {};

    default void phaseStarted(Phase phase) {}

    default void phaseFinished(Phase phase, Duration took) {}

    /** Mode chosen: {@code full} or {@code incremental} (with the checkpoint it starts from). */
    default void modeChosen(Mode mode, String incrementalFrom) {}

    /** A disk is about to be copied: {@code bytesToRead} bytes in extents. */
    default void diskStarted(String disk, long bytesToRead, long diskSize) {}

    /** {@code done} of {@code total} bytes of {@code disk} read. */
    default void progress(String disk, long done, long total) {}

    default void diskFinished(String disk, long bytesRead, long storedBytes) {}

    /** Something went less than perfectly but the backup goes on (code: short stable word). */
    default void warning(String code, String message) {}
}
