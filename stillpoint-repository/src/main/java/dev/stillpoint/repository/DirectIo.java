package dev.stillpoint.repository;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Opening files with {@code O_DIRECT} for {@link DirectWriter} and {@link DirectReader}: the one
 * place that decides whether direct I/O is used and to what its offsets, lengths and buffers
 * must be aligned. Switched off with {@code -Dstillpoint.directIo=false} (read at each open).
 */
final class DirectIo {
    static final String PROPERTY = "stillpoint.directIo";
    /** Smallest alignment used, whatever the filesystem reports (the largest common sector size). */
    static final int MIN_BLOCK = 4096;

    private DirectIo() {}

    /** A channel opened with {@code O_DIRECT}, and the alignment its I/O needs. */
    record Channel(FileChannel channel, int block) {}

    /**
     * Opens {@code file} (which must exist) with {@code O_DIRECT} for {@code mode}, or returns
     * null when direct I/O is switched off or refused by the filesystem (tmpfs, some network
     * filesystems), or when its block size exceeds {@code maxBlock} or does not divide
     * {@code alignment} (the granularity of the caller's gaps, 0 for none).
     */
    static Channel open(Path file, StandardOpenOption mode, int maxBlock, int alignment) {
        if ("false".equals(System.getProperty(PROPERTY))) return null;
        try {
            // at least 4 KiB: a filesystem may report 1 KiB blocks on a disk whose sectors are 4 KiB
            int block =
                    Math.max(MIN_BLOCK, Math.toIntExact(Files.getFileStore(file).getBlockSize()));
            if (block > maxBlock || Integer.bitCount(block) != 1 || (alignment > 0 && alignment % block != 0))
                return null;
            return new Channel(FileChannel.open(file, mode, com.sun.nio.file.ExtendedOpenOption.DIRECT), block);
        } catch (IOException | UnsupportedOperationException | ArithmeticException e) {
            return null; // the caller goes through the page cache
        }
    }
}
