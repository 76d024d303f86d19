package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.repository.store.Store;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The remote pack spool: packs fetched once through {@link Store#copyTo}, failures reach the reader. */
class PackSpoolTest {
    @TempDir
    Path dir;

    /** A store whose downloads are counted and, while {@code fail} is set, throw it. */
    static final class Downloads extends ForwardingStore {
        final AtomicInteger copies = new AtomicInteger();
        volatile Throwable fail;

        Downloads(Store store) {
            super(store);
        }

        @Override
        public long copyTo(String name, FileChannel out) throws IOException {
            copies.incrementAndGet();
            Throwable t = fail;
            if (t instanceof Error e) throw e;
            if (t instanceof IOException e) throw e;
            return super.copyTo(name, out);
        }
    }

    @Test
    void aPackIsDownloadedOnceAndItsRangesReadFromTheSpool() throws Exception {
        byte[] pack = StoreContract.bytes(2 * (1 << 20) + 5, 7);
        try (Downloads s = new Downloads(new LocalStore(dir.resolve("repo")));
                PackSpool spool = new PackSpool(s)) {
            s.put("data/ab/p", pack);
            assertThat(spool.prefetch("data/ab/p")).isTrue();
            byte[] dst = new byte[100];
            for (int at : new int[] {0, 1 << 20, 2 * (1 << 20) - 150}) {
                assertThat(spool.read("data/ab/p", at, dst, 100)).isEqualTo(100);
                assertThat(dst).isEqualTo(java.util.Arrays.copyOfRange(pack, at, at + 100));
            }
            assertThat(spool.read("data/ab/p", pack.length - 5, dst, 100)).isEqualTo(5); // short at the end
            assertThat(s.copies.get()).isEqualTo(1);
        }
    }

    /** A killed restore used to leave its 32 MiB temp files behind: they are unlinked while in use. */
    @Test
    void theSpoolsTempFilesAreUnlinkedWhileTheirPacksAreRead() throws Exception {
        Path spoolDir = java.nio.file.Files.createDirectories(dir.resolve("spool"));
        byte[] pack = StoreContract.bytes(300_000, 3);
        try (Downloads s = new Downloads(new LocalStore(dir.resolve("repo")));
                PackSpool spool = new PackSpool(s, spoolDir)) {
            for (int i = 0; i < 3; i++) s.put("data/ab/p" + i, pack);
            byte[] dst = new byte[100];
            for (int i = 0; i < 3; i++)
                assertThat(spool.read("data/ab/p" + i, 1000, dst, 100)).isEqualTo(100);
            try (var left = java.nio.file.Files.list(spoolDir)) {
                assertThat(left).isEmpty();
            }
            assertThat(spool.read("data/ab/p1", 299_950, dst, 100)).isEqualTo(50); // still served, from the spool
            assertThat(dst).startsWith(java.util.Arrays.copyOfRange(pack, 299_950, 300_000));
            assertThat(s.copies.get()).isEqualTo(3);
        }
    }

    /** Eviction closes a pack's channel: a read of an evicted pack is served by a ranged read. */
    @Test
    void packsBeyondTheLimitAreEvictedAndStillReadable() throws Exception {
        byte[] pack = StoreContract.bytes(5000, 9);
        try (Downloads s = new Downloads(new LocalStore(dir.resolve("repo")));
                PackSpool spool = new PackSpool(s, dir)) {
            int n = PackSpool.MAX_PACKS + 3;
            for (int i = 0; i < n; i++) s.put("data/ab/q" + i, pack);
            byte[] dst = new byte[10];
            for (int i = 0; i < n; i++)
                assertThat(spool.read("data/ab/q" + i, 7, dst, 10)).isEqualTo(10);
            assertThat(spool.read("data/ab/q0", 4990, dst, 10)).isEqualTo(10); // evicted: fetched again
            assertThat(dst).isEqualTo(java.util.Arrays.copyOfRange(pack, 4990, 5000));
            assertThat(s.copies.get()).isEqualTo(n + 1);
        }
    }

    /** An Error in a background download (OutOfMemoryError, measured with a small heap) once left the reader waiting forever. */
    @Test
    @Timeout(30)
    void anErrorInABackgroundDownloadReachesTheReaderInsteadOfHangingIt() throws Exception {
        try (Downloads s = new Downloads(new LocalStore(dir.resolve("repo")));
                PackSpool spool = new PackSpool(s)) {
            s.put("data/ab/p", StoreContract.bytes(1000, 1));
            s.fail = new OutOfMemoryError("Java heap space (injected)");
            assertThat(spool.prefetch("data/ab/p")).isTrue();
            byte[] dst = new byte[10];
            assertThatThrownBy(() -> spool.read("data/ab/p", 0, dst, 10))
                    .isInstanceOf(OutOfMemoryError.class)
                    .hasMessageContaining("injected");
            // the failed fetch is forgotten: the next read downloads again
            s.fail = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            int n = -1;
            while (System.nanoTime() < deadline) {
                try {
                    n = spool.read("data/ab/p", 0, dst, 10);
                    break;
                } catch (OutOfMemoryError stillTheOldFetch) {
                    Thread.sleep(10);
                }
            }
            assertThat(n).isEqualTo(10);
        }
    }

    @Test
    void anIoErrorOfADownloadIsThrownToTheReader() throws Exception {
        try (Downloads s = new Downloads(new LocalStore(dir.resolve("repo")));
                PackSpool spool = new PackSpool(s)) {
            s.put("data/ab/p", StoreContract.bytes(1000, 1));
            s.fail = new IOException("connection reset (injected)");
            assertThatThrownBy(() -> spool.read("data/ab/p", 0, new byte[10], 10))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("injected");
        }
    }
}
