package dev.stillpoint.engine.export;

import dev.stillpoint.qemu.nbd.BlockExtent;
import dev.stillpoint.qemu.nbd.NbdExportSource;
import dev.stillpoint.repository.ImageReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * One repository image as an NBD export: reads go chunk by chunk through a {@link ChunkCache}
 * (each chunk decoded, decrypted and verified once while it stays cached; several chunks decode
 * at once on the server's workers through {@link ImageReader#readChunk}); holes (which include
 * every chunk that was all zeroes at backup time) read as zeroes without touching the repository
 * and are reported as {@code NBD_STATE_HOLE | NBD_STATE_ZERO}, so {@code qemu-img convert} and
 * block jobs skip them.
 */
final class ImageExportSource implements NbdExportSource {
    private static final int HOLE = BlockExtent.STATE_HOLE | BlockExtent.STATE_ZERO;

    private final ImageReader reader;
    private final ChunkCache cache;
    private final int chunkSize;
    private final long size;
    private final long chunks;
    /** Bit i set: chunk i holds data. */
    private final BitSet allocated;
    /** Chunks read from the repository (decoded), cache hits and holes not counted. */
    private final java.util.concurrent.atomic.AtomicLong chunksRead = new java.util.concurrent.atomic.AtomicLong();

    ImageExportSource(ImageReader reader, long cacheBytes) {
        this.reader = reader;
        this.chunkSize = reader.chunkSize();
        this.size = reader.size();
        this.chunks = (size + chunkSize - 1) / chunkSize;
        if (chunks > Integer.MAX_VALUE)
            throw new IllegalArgumentException("image of " + size + " bytes has too many chunks");
        this.allocated = new BitSet((int) chunks);
        for (ImageReader.Extent e : reader.allocated()) {
            allocated.set(
                    (int) (e.offset() / chunkSize), (int) ((e.offset() + e.length() + chunkSize - 1) / chunkSize));
        }
        this.cache = new ChunkCache((int) Math.min(Integer.MAX_VALUE, cacheBytes / chunkSize));
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int preferredBlockSize() {
        return Math.min(chunkSize, 32 << 20);
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            long index = offset / chunkSize;
            int within = (int) (offset - index * chunkSize);
            int n = (int) Math.min(dst.remaining(), Math.min(chunkSize - within, size - offset));
            if (n <= 0) throw new IOException("read past the end of the image at " + offset + " (size " + size + ")");
            if (allocated.get((int) index)) {
                byte[] chunk = n == chunkLength(index) ? wholeChunk(index) : cache.get(index, this::decode);
                dst.put(chunk, within, n);
            } else {
                zero(dst, n);
            }
            offset += n;
        }
    }

    @Override
    public List<BlockExtent> blockStatus(long offset, long length) {
        long end = Math.min(size, offset + length);
        List<BlockExtent> out = new ArrayList<>();
        long at = offset;
        while (at < end && out.size() < 10_000) {
            int index = (int) (at / chunkSize);
            boolean data = allocated.get(index);
            int next = data ? allocated.nextClearBit(index) : allocated.nextSetBit(index);
            long runEnd = next < 0 || next >= chunks ? size : (long) next * chunkSize;
            runEnd = Math.min(runEnd, end);
            out.add(new BlockExtent(at, runEnd - at, data ? 0 : HOLE));
            at = runEnd;
        }
        return out;
    }

    ChunkCache cache() {
        return cache;
    }

    /** Chunks read from the repository so far (each decoded once per cache residence). */
    long chunksRead() {
        return chunksRead.get();
    }

    int chunkSize() {
        return chunkSize;
    }

    /**
     * A read of a whole chunk (a sequential copy such as {@code qemu-img convert}) is served from
     * the cache when there, else decoded into this thread's scratch buffer without entering the
     * cache: such reads rarely come back, and they would evict the chunks small random reads (a
     * booting guest) do come back for; nor do they allocate a chunk each.
     */
    private byte[] wholeChunk(long index) throws IOException {
        byte[] cached = cache.getIfPresent(index);
        if (cached != null) return cached;
        byte[] scratch = SCRATCH.get();
        if (scratch == null || scratch.length < chunkSize) {
            scratch = new byte[chunkSize];
            SCRATCH.set(scratch);
        }
        reader.readChunk(index, scratch);
        chunksRead.incrementAndGet();
        return scratch;
    }

    /** Per worker thread: one chunk for {@link #wholeChunk}. Bounded by the server's worker count. */
    private static final ThreadLocal<byte[]> SCRATCH = new ThreadLocal<>();

    private long chunkLength(long index) {
        return Math.min(chunkSize, size - index * chunkSize);
    }

    private byte[] decode(long index) throws IOException {
        byte[] b = new byte[chunkSize];
        reader.readChunk(index, b);
        chunksRead.incrementAndGet();
        return b;
    }

    private static final byte[] ZEROES = new byte[64 << 10];

    private static void zero(ByteBuffer dst, int n) {
        while (n > 0) {
            int k = Math.min(n, ZEROES.length);
            dst.put(ZEROES, 0, k);
            n -= k;
        }
    }
}
