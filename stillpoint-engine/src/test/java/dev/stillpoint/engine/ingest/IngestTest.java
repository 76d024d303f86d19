package dev.stillpoint.engine.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.fakes.InMemoryRepository;
import dev.stillpoint.engine.ingest.ExtentSource.Extent;
import dev.stillpoint.engine.ingest.ExtentSource.Kind;
import dev.stillpoint.repository.ImageReader;
import dev.stillpoint.repository.ImageWriter;
import dev.stillpoint.repository.ProgressListener;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryOptions;
import dev.stillpoint.repository.SnapshotInfo;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sparse-file and stream sources through the one ingest loop, and {@link ImageBackupJob}. */
class IngestTest {
    static final int MIB = 1 << 20;

    @TempDir
    Path tmp;

    /** 6 MiB: data at 1 MiB (64 KiB) and 4 MiB (1 MiB), holes elsewhere. */
    private byte[] sparseFile(Path file) throws Exception {
        byte[] expect = new byte[6 * MIB];
        Random rnd = new Random(3);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long[] r : new long[][] {{MIB, 64 << 10}, {4L * MIB, MIB}}) {
                byte[] d = new byte[(int) r[1]];
                rnd.nextBytes(d);
                System.arraycopy(d, 0, expect, (int) r[0], d.length);
                ch.write(ByteBuffer.wrap(d), r[0]);
            }
            ch.truncate(expect.length);
            ch.write(ByteBuffer.wrap(new byte[1]), expect.length - 1);
        }
        return expect;
    }

    @Test
    void aSparseFileIsReadOnlyWhereItHoldsDataAndCopiedExactly() throws Exception {
        Path file = tmp.resolve("sparse.raw");
        byte[] expect = sparseFile(file);
        InMemoryRepository repo = new InMemoryRepository();
        try (SparseFileSource src = SparseFileSource.open(file);
                ImageWriter w = repo.newImage("f", src.size(), null, Map.of(), ProgressListener.NONE)) {
            Ingest.Plan plan = Ingest.scan(src);
            assertThat(plan.extents()).extracting(Extent::kind).contains(Kind.ZERO, Kind.DATA);
            assertThat(plan.extents())
                    .filteredOn(e -> e.kind() == Kind.DATA)
                    .allSatisfy(e -> assertThat(e.end()).isLessThanOrEqualTo(expect.length))
                    .anySatisfy(e -> assertThat(e.offset()).isLessThanOrEqualTo(4L * MIB));
            assertThat(plan.dataBytes())
                    .as("holes are not read")
                    .isLessThan(expect.length)
                    .isGreaterThanOrEqualTo(MIB + (64 << 10));
            long read = Ingest.copy(src, plan, w, false, 256 << 10, Ingest.Progress.NONE, () -> false);
            assertThat(read).isEqualTo(plan.dataBytes());
            assertThat(repo.get(w.commit().id()).data()).isEqualTo(expect);
        }
    }

    @Test
    void aFileThatShrinksWhileItIsReadFailsAsOneCopyFailedError() throws Exception {
        Path file = tmp.resolve("sparse.raw");
        sparseFile(file);
        InMemoryRepository repo = new InMemoryRepository();
        try (SparseFileSource src = SparseFileSource.open(file);
                ImageWriter w = repo.newImage("f", src.size(), null, Map.of(), ProgressListener.NONE)) {
            Ingest.Plan plan = Ingest.scan(src);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(2L * MIB);
            }
            assertThatThrownBy(() -> Ingest.copy(src, plan, w, false, 256 << 10, Ingest.Progress.NONE, () -> false))
                    .isInstanceOfSatisfying(
                            EngineException.class,
                            e -> assertThat(e.code()).isEqualTo(EngineException.Code.COPY_FAILED))
                    .hasMessageStartingWith("reading file " + file + " failed at offset ")
                    .hasMessageContaining("shrank from " + 6 * MIB + " to " + 2 * MIB);
        }
    }

    @Test
    void imageBackupJobStoresFilesAndStreamsThatRestoreToTheSameBytes() throws Exception {
        Path file = tmp.resolve("sparse.raw");
        byte[] expect = sparseFile(file);
        Path dir = tmp.resolve("repo");
        Repositories.init(dir, RepositoryOptions.unencrypted()).close();
        try (Repository repo = Repositories.open(dir, null)) {
            ImageBackupJob job = new ImageBackupJob(repo, "img", Map.of("k", "v"), ProgressListener.NONE);
            SnapshotInfo fromFile = job.backupFile(file);
            SnapshotInfo fromStream = job.backupStream(new ByteArrayInputStream(expect), "stdin");
            assertThat(fromFile.size()).isEqualTo(fromStream.size()).isEqualTo(expect.length);
            assertThat(fromFile.allocatedBytes())
                    .isEqualTo(fromStream.allocatedBytes())
                    .isEqualTo(2L * MIB); // chunks with data
            for (SnapshotInfo s : new SnapshotInfo[] {fromFile, fromStream}) {
                try (ImageReader r = repo.openImage(s.id())) {
                    ByteBuffer all = ByteBuffer.allocate(expect.length);
                    r.read(0, all);
                    assertThat(all.array()).isEqualTo(expect);
                }
            }
            assertThatThrownBy(() -> job.backupFile(tmp.resolve("missing.raw")))
                    .isInstanceOfSatisfying(
                            EngineException.class,
                            e -> assertThat(e.code()).isEqualTo(EngineException.Code.INVALID_ARGUMENT))
                    .hasMessageContaining("does not exist");
        }
    }
}
