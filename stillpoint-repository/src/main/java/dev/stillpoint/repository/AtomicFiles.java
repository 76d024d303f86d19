package dev.stillpoint.repository;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Durable, atomic file publication: temp file in the same directory tree, fsync, rename, fsync dir. */
final class AtomicFiles {
    private AtomicFiles() {}

    static void write(Path tmpDir, Path target, byte[] data) throws IOException {
        try {
            writeDurably(tmpDir, target, data);
        } catch (IOException e) {
            throw RepositoryException.ofIo("writing " + target, e);
        }
    }

    private static void writeDurably(Path tmpDir, Path target, byte[] data) throws IOException {
        Path tmp = Files.createTempFile(tmpDir, "w-", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(data);
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            }
            publish(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Renames a durable temp file into place and makes the rename durable. */
    static void publish(Path tmp, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException(
                    "cannot rename " + tmp + " to " + target + " atomically (temp dir on another filesystem?)", e);
        }
        fsyncDir(target.getParent());
    }

    static void fsyncDir(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // some filesystems do not allow fsync on directories; the rename is still atomic
        }
    }
}
