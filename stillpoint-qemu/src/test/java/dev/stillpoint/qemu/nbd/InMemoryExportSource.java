package dev.stillpoint.qemu.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;

/**
 * An export held in memory: {@code data}, with every 64 KiB block that is all zeroes reported as
 * a hole. {@code gate} (when set) holds reads at the offsets it names until it is opened, and
 * {@code failAt} makes reads at that offset fail.
 */
final class InMemoryExportSource implements NbdExportSource {
    static final int BLOCK = 64 << 10;

    final byte[] data;
    volatile LongPredicate gated = o -> false;
    final CountDownLatch gate = new CountDownLatch(1);
    volatile long failAt = -1;

    InMemoryExportSource(byte[] data) {
        this.data = data;
    }

    /** {@code size} bytes: a pattern everywhere except the 64 KiB blocks listed in {@code holes}. */
    static InMemoryExportSource patterned(int size, int... holes) {
        byte[] d = new byte[size];
        for (int i = 0; i < size; i++) d[i] = (byte) (i * 31 + (i >>> 16));
        for (int i = 0; i < size; i += BLOCK) if (allZero(d, i)) d[i] = 1;
        for (int h : holes) java.util.Arrays.fill(d, h * BLOCK, Math.min(size, (h + 1) * BLOCK), (byte) 0);
        return new InMemoryExportSource(d);
    }

    @Override
    public long size() {
        return data.length;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        if (offset == failAt) throw new IOException("injected failure at " + offset);
        if (gated.test(offset)) {
            try {
                if (!gate.await(10, TimeUnit.SECONDS)) throw new IOException("gate never opened");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException();
            }
        }
        dst.put(data, (int) offset, dst.remaining());
    }

    @Override
    public List<BlockExtent> blockStatus(long offset, long length) {
        List<BlockExtent> out = new ArrayList<>();
        long end = Math.min(data.length, offset + length);
        long at = offset;
        while (at < end) {
            long blockEnd = Math.min(end, (at / BLOCK + 1) * BLOCK);
            int flags = allZero(data, (int) (at / BLOCK * BLOCK)) ? BlockExtent.STATE_HOLE | BlockExtent.STATE_ZERO : 0;
            if (!out.isEmpty() && out.getLast().flags() == flags) {
                BlockExtent last = out.removeLast();
                out.add(new BlockExtent(last.offset(), blockEnd - last.offset(), flags));
            } else {
                out.add(new BlockExtent(at, blockEnd - at, flags));
            }
            at = blockEnd;
        }
        return out;
    }

    private static boolean allZero(byte[] d, int start) {
        for (int i = start; i < Math.min(d.length, start + BLOCK); i++) if (d[i] != 0) return false;
        return true;
    }
}
