package dev.stillpoint.engine.restore;

import java.nio.file.Path;

/** Events of a running restore. */
public interface RestoreListener {
    RestoreListener NONE = new RestoreListener() {};

    default void diskStarted(String disk, Path file, long size) {}

    /** {@code done} bytes of {@code disk} written ({@code total}: bytes holding data, or -1). */
    default void progress(String disk, long done, long total) {}

    default void diskFinished(String disk, Path file) {}

    default void converting(String disk, Path file) {}
}
