package dev.stillpoint.repository.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A temp file that exists only as an open channel: created in {@code dir}, opened for reading and
 * writing, and unlinked at once, so a process killed while it holds one leaves nothing behind (the
 * kernel frees the file with its last descriptor). The spools of S3 uploads ({@link UploadSpool})
 * and of restores' pack downloads use it.
 */
public final class UnlinkedTempFile {
    private UnlinkedTempFile() {}

    /** A new unlinked file in {@code dir}, named {@code prefix...tmp} for the instant it has a name. */
    public static FileChannel create(Path dir, String prefix) throws IOException {
        Path tmp = Files.createTempFile(dir, prefix, ".tmp");
        try {
            return FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } finally {
            Files.delete(tmp); // only the channel holds it from here on
        }
    }
}
