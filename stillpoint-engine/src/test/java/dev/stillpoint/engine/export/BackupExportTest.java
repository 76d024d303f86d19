package dev.stillpoint.engine.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.DiskRecord;
import dev.stillpoint.qemu.nbd.BlockExtent;
import dev.stillpoint.qemu.nbd.NbdClient;
import dev.stillpoint.repository.ImageWriter;
import dev.stillpoint.repository.ProgressListener;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryOptions;
import dev.stillpoint.repository.SnapshotInfo;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A catalog backup in a real (encrypted) repository, served and read back with NbdClient. */
class BackupExportTest {
    static final int CHUNK = 64 << 10;
    static final int HOLE = BlockExtent.STATE_HOLE | BlockExtent.STATE_ZERO;

    @TempDir
    Path tmp;

    /** 40 chunks and a short tail: random data, except chunks 5-9 (never written) and 20 (written as zeroes). */
    static byte[] image() {
        byte[] img = new byte[40 * CHUNK + 1000];
        new Random(42).nextBytes(img);
        java.util.Arrays.fill(img, 5 * CHUNK, 10 * CHUNK, (byte) 0);
        java.util.Arrays.fill(img, 20 * CHUNK, 21 * CHUNK, (byte) 0);
        return img;
    }

    static SnapshotInfo store(Repository repo, String name, byte[] img) throws Exception {
        try (ImageWriter w = repo.newImage(name, img.length, null, Map.of(), ProgressListener.NONE)) {
            w.write(0, ByteBuffer.wrap(img, 0, 5 * CHUNK));
            w.write(10 * CHUNK, ByteBuffer.wrap(img, 10 * CHUNK, img.length - 10 * CHUNK));
            return w.commit();
        }
    }

    static BackupRecord backup(BackupRecord.Status status, DiskRecord... disks) {
        return BackupRecord.builder("0123456789abcdef", "web1", Instant.now())
                .vmUuid("uuid")
                .finishedAt(Instant.now())
                .status(status)
                .mode(BackupRecord.Mode.FULL)
                .disks(List.of(disks))
                .build();
    }

    Repository repository() throws Exception {
        RepositoryOptions o = RepositoryOptions.encrypted("pw".toCharArray()).withKdf(8 * 1024, 1);
        return Repositories.init(
                tmp.resolve("repo"),
                new RepositoryOptions(
                        o.encryption(),
                        o.password(),
                        CHUNK,
                        o.packSize(),
                        o.compressionLevel(),
                        o.kdfMemoryKiB(),
                        o.kdfIterations(),
                        o.idHash()));
    }

    @Test
    void servesEveryDiskByteForByteWithHolesAndZeroChunksReportedAsHoles() throws Exception {
        byte[] vda = image();
        byte[] vdb = new byte[3 * CHUNK];
        new Random(7).nextBytes(vdb);
        try (Repository repo = repository()) {
            SnapshotInfo a = store(repo, "web1/vda", vda);
            SnapshotInfo b;
            try (ImageWriter w = repo.newImage("web1/vdb", vdb.length, null, Map.of(), ProgressListener.NONE)) {
                w.write(0, ByteBuffer.wrap(vdb));
                b = w.commit();
            }
            BackupRecord backup = backup(
                    BackupRecord.Status.COMPLETE,
                    new DiskRecord("vda", "/d/a", "qcow2", vda.length, a.id(), null, 0, 0),
                    new DiskRecord("vdb", "/d/b", "raw", vdb.length, b.id(), null, 0, 0));
            Path socket = tmp.resolve("s.sock");
            try (BackupExport export = BackupExport.open(repo, backup, null, 4L * CHUNK)) {
                assertThat(export.disks())
                        .containsExactly(
                                new BackupExport.Disk("vda", vda.length, a.id()),
                                new BackupExport.Disk("vdb", vdb.length, b.id()));
                export.listen(UnixDomainSocketAddress.of(socket));
                try (NbdClient c = NbdClient.connect(socket, "vda", List.of(NbdClient.BASE_ALLOCATION))) {
                    assertThat(c.size()).isEqualTo(vda.length);
                    assertThat(c.preferredBlockSize()).isEqualTo(CHUNK);
                    ByteBuffer all = ByteBuffer.allocate(vda.length);
                    c.read(0, all);
                    assertThat(all.array()).isEqualTo(vda);
                    assertThat(c.blockStatus(NbdClient.BASE_ALLOCATION, 0, vda.length))
                            .containsExactly(
                                    new BlockExtent(0, 5 * CHUNK, 0),
                                    new BlockExtent(5 * CHUNK, 5 * CHUNK, HOLE),
                                    new BlockExtent(10 * CHUNK, 10 * CHUNK, 0),
                                    new BlockExtent(20 * CHUNK, CHUNK, HOLE),
                                    new BlockExtent(21 * CHUNK, vda.length - 21 * CHUNK, 0));
                    assertThat(c.blockStatus(NbdClient.BASE_ALLOCATION, 6 * CHUNK + 5, 100))
                            .containsExactly(new BlockExtent(6 * CHUNK + 5, 100, HOLE));
                    // unaligned reads across chunk borders and the image end
                    ByteBuffer tail = ByteBuffer.allocate(CHUNK + 1000 + 3);
                    c.read(vda.length - tail.capacity(), tail);
                    assertThat(tail.array())
                            .isEqualTo(java.util.Arrays.copyOfRange(vda, vda.length - tail.capacity(), vda.length));
                }
                try (NbdClient c = NbdClient.connect(socket, "vdb", List.of())) {
                    ByteBuffer all = ByteBuffer.allocate(vdb.length);
                    c.read(0, all);
                    assertThat(all.array()).isEqualTo(vdb);
                }
            }
            assertThat(Files.exists(socket)).as("socket removed on close").isFalse();
        }
    }

    /** A complete backup of one disk, vda, holding {@code vda}. */
    private BackupRecord oneDisk(Repository repo, byte[] vda) throws Exception {
        SnapshotInfo a = store(repo, "web1/vda", vda);
        return backup(
                BackupRecord.Status.COMPLETE, new DiskRecord("vda", "/d/a", "qcow2", vda.length, a.id(), null, 0, 0));
    }

    @Test
    void countsTheChunksReadFromTheRepositoryNotCacheHitsOrHoles() throws Exception {
        byte[] vda = image();
        try (Repository repo = repository()) {
            BackupRecord backup = oneDisk(repo, vda);
            try (BackupExport export = BackupExport.open(repo, backup, null, 4L * CHUNK)) {
                assertThat(export.readCount()).isEqualTo(new BackupExport.ReadCount(0, 0));
                export.read(0, 100, ByteBuffer.allocate(100));
                export.read(0, 5000, ByteBuffer.allocate(100)); // same chunk: from the cache
                export.read(0, 6L * CHUNK, ByteBuffer.allocate(CHUNK)); // a hole: nothing read
                assertThat(export.readCount()).isEqualTo(new BackupExport.ReadCount(1, CHUNK));
                export.read(0, 10L * CHUNK + CHUNK - 10, ByteBuffer.allocate(20)); // across two chunks
                assertThat(export.readCount()).isEqualTo(new BackupExport.ReadCount(3, 3L * CHUNK));
            }
        }
    }

    @Test
    void parallelClientsShareTheBoundedCache() throws Exception {
        byte[] vda = image();
        try (Repository repo = repository()) {
            BackupRecord backup = oneDisk(repo, vda);
            Path socket = tmp.resolve("s.sock");
            try (BackupExport export = BackupExport.open(repo, backup, "vda", 3L * CHUNK)) {
                export.listen(UnixDomainSocketAddress.of(socket));
                ExecutorService pool = Executors.newFixedThreadPool(4);
                try {
                    List<Future<?>> jobs = new ArrayList<>();
                    for (int t = 0; t < 4; t++) {
                        int seed = t;
                        jobs.add(pool.submit(() -> {
                            Random r = new Random(seed);
                            try (NbdClient c = NbdClient.connect(socket, "", List.of())) {
                                for (int i = 0; i < 100; i++) {
                                    int len = 1 + r.nextInt(3 * CHUNK);
                                    long off = r.nextLong(vda.length - len + 1);
                                    ByteBuffer b = ByteBuffer.allocate(len);
                                    c.read(off, b);
                                    assertThat(b.array())
                                            .isEqualTo(java.util.Arrays.copyOfRange(vda, (int) off, (int) off + len));
                                }
                            }
                            return null;
                        }));
                    }
                    for (Future<?> j : jobs) j.get();
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }

    @Test
    void chunkCacheKeepsAtMostItsCapacityAndLoadsAChunkOnce() throws Exception {
        ChunkCache cache = new ChunkCache(2);
        int[] loads = new int[4];
        ChunkCache.Loader loader = i -> {
            loads[(int) i]++;
            return new byte[] {(byte) i};
        };
        cache.get(0, loader);
        cache.get(1, loader);
        cache.get(0, loader); // hit, 0 becomes the most recent
        cache.get(2, loader); // evicts 1
        cache.get(0, loader); // still cached
        cache.get(1, loader); // loaded again
        assertThat(loads).containsExactly(1, 2, 1, 0);
        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.hits()).isEqualTo(2);
        ChunkCache.Loader failing = i -> {
            throw new java.io.IOException("bad chunk " + i);
        };
        assertThatThrownBy(() -> cache.get(3, failing)).hasMessageContaining("bad chunk 3");
        assertThat(cache.get(3, loader)).containsExactly(3); // a failure is not cached
    }

    @Test
    void refusesIncompleteBackupsUnknownDisksAndABusySocket() throws Exception {
        byte[] vda = image();
        try (Repository repo = repository()) {
            SnapshotInfo a = store(repo, "web1/vda", vda);
            DiskRecord d = new DiskRecord("vda", "/d/a", "qcow2", vda.length, a.id(), null, 0, 0);
            assertThatThrownBy(() -> BackupExport.open(repo, backup(BackupRecord.Status.FAILED, d), null, 0))
                    .isInstanceOf(EngineException.class)
                    .hasMessageContaining("only complete backups");
            assertThatThrownBy(() -> BackupExport.open(repo, backup(BackupRecord.Status.COMPLETE, d), "vdz", 0))
                    .isInstanceOf(EngineException.class)
                    .hasMessageContaining("no disk 'vdz' (disks: [vda])");
            Path taken = Files.writeString(tmp.resolve("taken"), "x");
            try (BackupExport export = BackupExport.open(repo, backup(BackupRecord.Status.COMPLETE, d), null, 0)) {
                assertThatThrownBy(() -> export.listen(UnixDomainSocketAddress.of(taken)))
                        .isInstanceOf(EngineException.class)
                        .extracting(e -> ((EngineException) e).code())
                        .isEqualTo(EngineException.Code.EXPORT_FAILED);
            }
        }
    }
}
