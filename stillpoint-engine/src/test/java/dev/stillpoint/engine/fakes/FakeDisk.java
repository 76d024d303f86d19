package dev.stillpoint.engine.fakes;

import dev.stillpoint.engine.backup.BlockSource;
import dev.stillpoint.qemu.nbd.BlockExtent;
import dev.stillpoint.qemu.nbd.NbdClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A guest disk in memory with allocation (per block) and a dirty bitmap since the last
 * checkpoint, serving {@link BlockSource} views like an NBD export does.
 */
public final class FakeDisk {
    public static final int BLOCK = 64 * 1024;

    public final byte[] data;
    final boolean[] allocated;
    /** Dirty bitmap per checkpoint: blocks written since that checkpoint was created. */
    final java.util.Map<String, boolean[]> bitmaps = new java.util.LinkedHashMap<>();

    public FakeDisk(int blocks) {
        data = new byte[blocks * BLOCK];
        allocated = new boolean[blocks];
    }

    /** Guest writes {@code len} bytes of {@code value} at {@code offset}. */
    public void write(long offset, int len, byte value) {
        Arrays.fill(data, (int) offset, (int) offset + len, value);
        for (long b = offset / BLOCK; b <= (offset + len - 1) / BLOCK; b++) {
            allocated[(int) b] = true;
            for (boolean[] dirty : bitmaps.values()) dirty[(int) b] = true;
        }
    }

    public void addBitmap(String checkpoint) {
        bitmaps.put(checkpoint, new boolean[allocated.length]);
    }

    public void removeBitmap(String checkpoint) {
        bitmaps.remove(checkpoint);
    }

    public boolean hasBitmap(String checkpoint) {
        return bitmaps.containsKey(checkpoint);
    }

    public boolean[] bitmap(String checkpoint) {
        return bitmaps.get(checkpoint);
    }

    public long dirtyBytes(String checkpoint) {
        long n = 0;
        for (boolean d : bitmaps.get(checkpoint)) if (d) n += BLOCK;
        return n;
    }

    public long allocatedBytes() {
        long n = 0;
        for (boolean a : allocated) if (a) n += BLOCK;
        return n;
    }

    /** A point-in-time view; {@code bitmap} is the dirty bitmap context name (null: none offered). */
    public Source open(String bitmap, boolean[] dirtyView, int maxExtentsPerReply) {
        return new Source(
                data.clone(),
                allocated.clone(),
                dirtyView == null ? null : dirtyView.clone(),
                bitmap,
                maxExtentsPerReply);
    }

    /** The export. Counts bytes read. */
    public static final class Source implements BlockSource {
        final byte[] data;
        final boolean[] allocated;
        final boolean[] dirty;
        final String bitmap;
        final int maxExtents;
        public long bytesRead;
        public boolean closed;
        public IOException failRead;

        Source(byte[] data, boolean[] allocated, boolean[] dirty, String bitmap, int maxExtents) {
            this.data = data;
            this.allocated = allocated;
            this.dirty = dirty;
            this.bitmap = bitmap;
            this.maxExtents = maxExtents;
        }

        @Override
        public long size() {
            return data.length;
        }

        @Override
        public boolean hasContext(String context) {
            return NbdClient.BASE_ALLOCATION.equals(context) || (bitmap != null && bitmap.equals(context));
        }

        @Override
        public List<BlockExtent> blockStatus(String context, long offset, long length) throws IOException {
            if (!hasContext(context)) throw new IOException("context " + context + " not negotiated");
            boolean[] map = NbdClient.BASE_ALLOCATION.equals(context) ? allocated : dirty;
            boolean base = NbdClient.BASE_ALLOCATION.equals(context);
            List<BlockExtent> out = new ArrayList<>();
            long pos = offset;
            long end = Math.min(offset + length, data.length);
            while (pos < end && out.size() < maxExtents) {
                int b = (int) (pos / BLOCK);
                boolean v = map[b];
                long runEnd = (long) (b + 1) * BLOCK;
                while (runEnd < end && map[(int) (runEnd / BLOCK)] == v) runEnd += BLOCK;
                runEnd = Math.min(runEnd, end);
                int flags = base
                        ? (v ? 0 : BlockExtent.STATE_HOLE | BlockExtent.STATE_ZERO)
                        : (v ? BlockExtent.STATE_DIRTY : 0);
                out.add(new BlockExtent(pos, runEnd - pos, flags));
                pos = runEnd;
            }
            return out;
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            if (failRead != null) throw failRead;
            int n = dst.remaining();
            dst.put(data, (int) offset, n);
            bytesRead += n;
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
