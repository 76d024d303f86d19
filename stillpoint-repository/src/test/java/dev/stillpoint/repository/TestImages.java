package dev.stillpoint.repository;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Random;

/** Test support: deterministic images, small repositories, whole-image I/O. */
final class TestImages {
    static final int CHUNK = 64 << 10;

    private TestImages() {}

    static RepositoryOptions options(boolean encrypted) {
        RepositoryOptions o =
                encrypted ? RepositoryOptions.encrypted("repo-secret".toCharArray()) : RepositoryOptions.unencrypted();
        return o.withChunkSize(CHUNK).withPackSize(CHUNK * 4).withKdf(64, 1);
    }

    /** Random image with zero runs (holes), compressible text runs and random runs. */
    static byte[] image(long seed, int size) {
        Random r = new Random(seed);
        byte[] b = new byte[size];
        int pos = 0;
        while (pos < size) {
            int n = Math.min(size - pos, 1 + r.nextInt(3 * CHUNK));
            switch (r.nextInt(3)) {
                case 0 -> {} // zeros
                case 1 -> {
                    for (int i = 0; i < n; i++) b[pos + i] = (byte) ("stillpoint text ".charAt(i % 16));
                }
                default -> {
                    byte[] x = new byte[n];
                    r.nextBytes(x);
                    System.arraycopy(x, 0, b, pos, n);
                }
            }
            pos += n;
        }
        return b;
    }

    static SnapshotInfo backup(Repository repo, String name, byte[] img) throws IOException {
        return backup(repo, name, img, 7777);
    }

    /** Writes {@code img} in pieces of varying, unaligned sizes. */
    static SnapshotInfo backup(Repository repo, String name, byte[] img, long seed) throws IOException {
        Random r = new Random(seed);
        try (ImageWriter w = repo.newImage(name, img.length, null, Map.of("t", "1"), ProgressListener.NONE)) {
            int pos = 0;
            while (pos < img.length) {
                int n = Math.min(img.length - pos, 1 + r.nextInt(CHUNK * 2));
                w.write(pos, ByteBuffer.wrap(img, pos, n));
                pos += n;
            }
            return w.commit();
        }
    }

    static byte[] restore(Repository repo, String id, Path file) throws IOException {
        Files.deleteIfExists(file);
        try (ImageReader r = repo.openImage(id);
                FileChannel ch = FileChannel.open(
                        file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            r.restoreTo(file, ch, ProgressListener.NONE);
        }
        return Files.readAllBytes(file);
    }

    static byte[] readAll(Repository repo, String id) throws IOException {
        try (ImageReader r = repo.openImage(id)) {
            ByteBuffer b = ByteBuffer.allocate((int) r.size());
            r.read(0, b);
            return b.array();
        }
    }
}
