package dev.stillpoint.engine.backup;

import dev.stillpoint.engine.fakes.FakeDisk;
import dev.stillpoint.engine.fakes.InMemoryRepository;
import dev.stillpoint.repository.ImageWriter;
import dev.stillpoint.repository.ProgressListener;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DiskCopierTest {

    @Test
    void scanLoopsOverShortRepliesAndCoalesces() throws Exception {
        FakeDisk d = new FakeDisk(32);
        d.write(0, FakeDisk.BLOCK * 2, (byte) 1);
        d.write(5L * FakeDisk.BLOCK, 10, (byte) 1);
        d.write(31L * FakeDisk.BLOCK, FakeDisk.BLOCK, (byte) 1);
        var src = d.open(null, null, 1);   // one extent per reply
        assertThat(DiskCopier.scan(src, BlockSource.BASE_ALLOCATION, false)).containsExactly(
                new DiskCopier.Range(0, 2L * FakeDisk.BLOCK),
                new DiskCopier.Range(5L * FakeDisk.BLOCK, FakeDisk.BLOCK),
                new DiskCopier.Range(31L * FakeDisk.BLOCK, FakeDisk.BLOCK));
    }

    @Test
    void zeroBuffersBecomeWriteZeroesAndOrderIsKept() throws Exception {
        FakeDisk d = new FakeDisk(8);
        d.write(0, 10, (byte) 0);                      // allocated but zero
        d.write(FakeDisk.BLOCK, 10, (byte) 4);
        var src = d.open(null, null, 100);
        RecordingWriter w = new RecordingWriter();
        long read = DiskCopier.copy(src, DiskCopier.scan(src, BlockSource.BASE_ALLOCATION, false), w, 4096,
                (a, b) -> {}, () -> false);
        assertThat(read).isEqualTo(2L * FakeDisk.BLOCK);
        assertThat(w.zeroes).isEqualTo(FakeDisk.BLOCK + FakeDisk.BLOCK - 4096L);
        assertThat(w.data).isEqualTo(4096);
    }

    @Test
    void rejectsNonContiguousExtents() {
        BlockSource bad = new BlockSource() {
            @Override public long size() { return 1 << 20; }
            @Override public boolean hasContext(String c) { return true; }
            @Override public List<BlockExtent> blockStatus(String c, long o, long l) {
                return List.of(new BlockExtent(o + 512, 512, 0));
            }
            @Override public void read(long o, ByteBuffer b) {}
            @Override public void close() {}
        };
        assertThatThrownBy(() -> DiskCopier.scan(bad, BlockSource.BASE_ALLOCATION, false))
                .isInstanceOf(IOException.class).hasMessageContaining("contiguous");
    }

    @Test
    void writerIntoRepositoryReproducesTheDisk() throws Exception {
        FakeDisk d = new FakeDisk(16);
        d.write(3L * FakeDisk.BLOCK + 7, 5000, (byte) 9);
        var src = d.open(null, null, 2);
        InMemoryRepository repo = new InMemoryRepository();
        try (ImageWriter w = repo.newImage("x/vda", src.size(), null, Map.of(), ProgressListener.NONE)) {
            DiskCopier.copy(src, DiskCopier.scan(src, BlockSource.BASE_ALLOCATION, false), w, 10_000, (a, b) -> {}, () -> false);
            assertThat(repo.get(w.commit().id()).data()).isEqualTo(d.data);
        }
    }

    static final class RecordingWriter implements ImageWriter {
        long zeroes;
        long data;
        long last;

        @Override public void write(long offset, ByteBuffer b) {
            assertThat(offset).isGreaterThanOrEqualTo(last);
            data += b.remaining();
            last = offset + b.remaining();
            b.position(b.limit());
        }

        @Override public void writeZeroes(long offset, long length) {
            assertThat(offset).isGreaterThanOrEqualTo(last);
            zeroes += length;
            last = offset + length;
        }

        @Override public dev.stillpoint.repository.SnapshotInfo commit() { return null; }

        @Override public void close() {}
    }
}
