package dev.stillpoint.engine.restore;

import java.nio.file.Path;

/** One restored disk file. */
public record RestoredDisk(String target, Path file, RestoreFormat format, long size, String snapshotId) {}
