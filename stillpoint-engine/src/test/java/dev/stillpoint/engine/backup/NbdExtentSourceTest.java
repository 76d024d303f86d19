package dev.stillpoint.engine.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.fakes.FakeDisk;
import dev.stillpoint.engine.fakes.InMemoryRepository;
import dev.stillpoint.engine.ingest.ExtentSource.Extent;
import dev.stillpoint.engine.ingest.ExtentSource.Kind;
import dev.stillpoint.engine.ingest.Ingest;
import dev.stillpoint.qemu.nbd.BlockExtent;
import dev.stillpoint.qemu.nbd.NbdClient;
import dev.stillpoint.repository.ImageWriter;
import dev.stillpoint.repository.ProgressListener;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The NBD source through the one ingest loop (formerly DiskCopierTest; same assertions). */
class NbdExtentSourceTest {

    @Test
    void scanLoopsOverShortRepliesAndCoalesces() throws Exception {
        FakeDisk d = new FakeDisk(32);
        d.write(0, FakeDisk.BLOCK * 2, (byte) 1);
        d.write(5L * FakeDisk.BLOCK, 10, (byte) 1);
        d.write(31L * FakeDisk.BLOCK, FakeDisk.BLOCK, (byte) 1);
        var src = d.open(null, null, 1); // one extent per reply
        assertThat(Ingest.scan(allocation(src)).extents())
                .filteredOn(e -> e.kind() == Kind.DATA)
                .containsExactly(
                        new Extent(0, 2L * FakeDisk.BLOCK, Kind.DATA),
                        new Extent(5L * FakeDisk.BLOCK, FakeDisk.BLOCK, Kind.DATA),
                        new Extent(31L * FakeDisk.BLOCK, FakeDisk.BLOCK, Kind.DATA));
    }

    @Test
    void zeroBuffersBecomeWriteZeroesAndOrderIsKept() throws Exception {
        FakeDisk d = new FakeDisk(8);
        d.write(0, 10, (byte) 0); // allocated but zero
        d.write(FakeDisk.BLOCK, 10, (byte) 4);
        var src = d.open(null, null, 100);
        RecordingWriter w = new RecordingWriter();
        long read =
                Ingest.copy(allocation(src), Ingest.scan(allocation(src)), w, false, 4096, (a, b) -> {}, () -> false);
        assertThat(read).isEqualTo(2L * FakeDisk.BLOCK);
        assertThat(w.zeroes).isEqualTo(FakeDisk.BLOCK + FakeDisk.BLOCK - 4096L);
        assertThat(w.data).isEqualTo(4096);
    }

    @Test
    void rejectsNonContiguousExtents() {
        BlockSource bad = new BlockSource() {
            @Override
            public long size() {
                return 1 << 20;
            }

            @Override
            public boolean hasContext(String c) {
                return true;
            }

            @Override
            public List<BlockExtent> blockStatus(String c, long o, long l) {
                return List.of(new BlockExtent(o + 512, 512, 0));
            }

            @Override
            public void read(long o, ByteBuffer b) {}

            @Override
            public void close() {}
        };
        assertThatThrownBy(() -> Ingest.scan(allocation(bad)))
                .isInstanceOf(EngineException.class)
                .hasMessageContaining("contiguous");
    }

    @Test
    void writerIntoRepositoryReproducesTheDisk() throws Exception {
        FakeDisk d = new FakeDisk(16);
        d.write(3L * FakeDisk.BLOCK + 7, 5000, (byte) 9);
        var src = d.open(null, null, 2);
        InMemoryRepository repo = new InMemoryRepository();
        try (ImageWriter w = repo.newImage("x/vda", src.size(), null, Map.of(), ProgressListener.NONE)) {
            Ingest.copy(allocation(src), Ingest.scan(allocation(src)), w, false, 10_000, (a, b) -> {}, () -> false);
            assertThat(repo.get(w.commit().id()).data()).isEqualTo(d.data);
        }
    }

    @Test
    void aReadFailureIsOneCopyFailedErrorNamingSourceAndOffset() throws Exception {
        FakeDisk d = new FakeDisk(8);
        d.write(3L * FakeDisk.BLOCK, 10, (byte) 4);
        FakeDisk.Source src = d.open(null, null, 100);
        src.failRead = new IOException("NBD read failed: connection reset");
        NbdExtentSource nbd = new NbdExtentSource(src, NbdClient.BASE_ALLOCATION, "domain web1 disk vda");
        assertThatThrownBy(() -> Ingest.copy(
                        nbd, Ingest.scan(nbd), new RecordingWriter(), false, 4096, (a, b) -> {}, () -> false))
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.code()).isEqualTo(EngineException.Code.COPY_FAILED);
                    assertThat(e.getCause()).isSameAs(src.failRead);
                })
                .hasMessage("reading domain web1 disk vda failed at offset " + 3L * FakeDisk.BLOCK
                        + ": NBD read failed: connection reset");
    }

    @Test
    void dirtyBitmapReadsOnlyDirtyExtents() throws Exception {
        FakeDisk d = new FakeDisk(8);
        d.write(0, 10, (byte) 1);
        d.addBitmap("cp");
        d.write(2L * FakeDisk.BLOCK, 10, (byte) 2);
        var src = d.open("qemu:dirty-bitmap:cp", d.bitmap("cp"), 100);
        NbdExtentSource nbd = new NbdExtentSource(src, "qemu:dirty-bitmap:cp", "disk vda");
        assertThat(Ingest.scan(nbd).extents())
                .containsExactly(new Extent(2L * FakeDisk.BLOCK, FakeDisk.BLOCK, Kind.DATA));
    }

    private static NbdExtentSource allocation(BlockSource src) {
        return new NbdExtentSource(src, NbdClient.BASE_ALLOCATION, "disk vda");
    }

    static final class RecordingWriter implements ImageWriter {
        long zeroes;
        long data;
        long last;

        @Override
        public void write(long offset, ByteBuffer b) {
            assertThat(offset).isGreaterThanOrEqualTo(last);
            data += b.remaining();
            last = offset + b.remaining();
            b.position(b.limit());
        }

        @Override
        public void writeZeroes(long offset, long length) {
            assertThat(offset).isGreaterThanOrEqualTo(last);
            zeroes += length;
            last = offset + length;
        }

        @Override
        public dev.stillpoint.repository.SnapshotInfo commit() {
            return null;
        }

        @Override
        public void close() {}
    }
}
