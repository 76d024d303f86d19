package dev.stillpoint.engine.ingest;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.repository.ImageWriter;
import dev.stillpoint.repository.ProgressListener;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.SnapshotInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Objects;

/**
 * Stores one raw image (a regular file, a block device, or a stream such as stdin) as a new
 * repository snapshot through {@link Ingest}. A regular file is read as a {@link SparseFileSource}
 * (holes never read); anything else, or an empty file, as a {@link StreamSource} of unknown size.
 */
public final class ImageBackupJob {
    /** Bytes read (and zero-tested) at a time. */
    static final int BUFFER = 4 << 20;

    private final Repository repository;
    private final String name;
    private final Map<String, String> tags;
    private final ProgressListener progress;

    /** Progress counts the bytes the repository has processed (see {@link Repository#newImage}). */
    public ImageBackupJob(Repository repository, String name, Map<String, String> tags, ProgressListener progress) {
        this.repository = Objects.requireNonNull(repository, "repository");
        this.name = Objects.requireNonNull(name, "name");
        this.tags = Map.copyOf(tags);
        this.progress = progress == null ? ProgressListener.NONE : progress;
    }

    /** Backs up {@code file}; {@code INVALID_ARGUMENT} when it is missing or a directory. */
    public SnapshotInfo backupFile(Path file) throws EngineException, IOException {
        try (ExtentSource src = open(file)) {
            return run(src);
        }
    }

    private static ExtentSource open(Path file) throws EngineException, IOException {
        if (Files.isDirectory(file)) {
            throw new EngineException(
                    Code.INVALID_ARGUMENT, "FILE: " + file + " is a directory, expected a raw image or device");
        }
        try {
            if (Files.isRegularFile(file) && Files.size(file) > 0) return SparseFileSource.open(file);
            return new StreamSource(FileChannel.open(file, StandardOpenOption.READ), "file " + file);
        } catch (NoSuchFileException e) {
            throw new EngineException(Code.INVALID_ARGUMENT, "FILE: " + file + " does not exist");
        }
    }

    /** Backs up a stream (e.g. stdin) of unknown size; the image ends where the stream does. */
    public SnapshotInfo backupStream(InputStream in, String description) throws EngineException, IOException {
        try (ExtentSource src = new StreamSource(Channels.newChannel(in), description)) {
            return run(src);
        }
    }

    private SnapshotInfo run(ExtentSource src) throws EngineException, IOException {
        long size = src.size() == ExtentSource.UNKNOWN_SIZE ? Repository.UNKNOWN_SIZE : src.size();
        Ingest.Plan plan = Ingest.scan(src);
        try (ImageWriter w = repository.newImage(name, size, null, tags, progress)) {
            Ingest.copy(src, plan, w, false, BUFFER, Ingest.Progress.NONE, () -> false);
            return w.commit();
        }
    }
}
