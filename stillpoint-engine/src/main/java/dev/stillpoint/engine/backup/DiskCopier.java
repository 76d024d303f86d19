package dev.stillpoint.engine.backup;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.repository.ImageWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Copies the interesting extents of one {@link BlockSource} into an {@link ImageWriter}:
 * first a block-status scan of the whole disk (cheap, gives the total for progress/ETA), then
 * reads in offset order in bounded buffers. All-zero buffers become {@code writeZeroes}.
 *
 * <ul>
 *   <li>full read ({@code base:allocation}): every extent without the zero bit (bit 1) is read;
 *       zero extents are skipped (the writer has no parent, so unwritten ranges are holes).</li>
 *   <li>incremental ({@code qemu:dirty-bitmap:*}): every extent with the dirty bit (bit 0) is
 *       read; clean ranges come from the parent snapshot.</li>
 * </ul>
 */
final class DiskCopier {

    /** Largest length asked in one block-status request (NBD lengths are 32-bit). */
    static final long MAX_STATUS_REQUEST = 1L << 30;

    /** A range to copy. */
    record Range(long offset, long length) {
        long end() { return offset + length; }
    }

    interface Progress {
        void progress(long done, long total);
    }

    private DiskCopier() {}

    /** Meta contexts to negotiate: allocation, plus {@code dirtyContext} when not null. */
    static List<String> contexts(String dirtyContext) {
        return dirtyContext == null ? List.of(BlockSource.BASE_ALLOCATION) : List.of(BlockSource.BASE_ALLOCATION, dirtyContext);
    }

    /** Ranges to read, ascending and coalesced. {@code dirtyBitmap}: context is a dirty bitmap (bit 0 = dirty). */
    static List<Range> scan(BlockSource src, String context, boolean dirtyBitmap) throws IOException {
        List<Range> out = new ArrayList<>();
        long size = src.size();
        long pos = 0;
        while (pos < size) {
            long want = Math.min(size - pos, MAX_STATUS_REQUEST);
            List<BlockSource.BlockExtent> extents = src.blockStatus(context, pos, want);
            long advanced = 0;
            for (BlockSource.BlockExtent e : extents) {
                if (e.offset() != pos + advanced || e.length() <= 0) {
                    throw new IOException("block status of " + context + " at offset " + (pos + advanced)
                            + " returned extent " + e + " (extents must be contiguous and non-empty)");
                }
                long len = Math.min(e.length(), size - e.offset());
                boolean read = dirtyBitmap ? (e.flags() & 1) != 0 : (e.flags() & 2) == 0;
                if (read && len > 0) add(out, e.offset(), len);
                advanced += len;
                if (pos + advanced >= size) break;
            }
            if (advanced == 0) {
                throw new IOException("block status of " + context + " at offset " + pos + " returned no extents");
            }
            pos += advanced;
        }
        return out;
    }

    private static void add(List<Range> out, long offset, long length) {
        if (!out.isEmpty() && out.getLast().end() == offset) {
            Range last = out.removeLast();
            out.add(new Range(last.offset(), last.length() + length));
        } else {
            out.add(new Range(offset, length));
        }
    }

    static long total(List<Range> ranges) {
        long t = 0;
        for (Range r : ranges) t += r.length();
        return t;
    }

    /** Reads every range and writes it; returns bytes read. */
    static long copy(BlockSource src, List<Range> ranges, ImageWriter writer, int bufferSize, Progress progress,
                     BooleanSupplier cancelled) throws IOException, EngineException {
        ByteBuffer buf = ByteBuffer.allocateDirect(bufferSize);
        ByteBuffer zeros = ByteBuffer.allocateDirect(bufferSize);
        long total = total(ranges);
        long done = 0;
        progress.progress(0, total);
        for (Range r : ranges) {
            long pos = r.offset();
            while (pos < r.end()) {
                if (cancelled.getAsBoolean()) {
                    throw new EngineException(EngineException.Code.CANCELLED, "backup cancelled while copying at offset " + pos);
                }
                int n = (int) Math.min(bufferSize, r.end() - pos);
                buf.clear().limit(n);
                src.read(pos, buf);
                buf.flip();
                if (buf.remaining() != n) {
                    throw new IOException("short read at offset " + pos + ": wanted " + n + " bytes, got " + buf.remaining());
                }
                if (isZero(buf, zeros)) {
                    writer.writeZeroes(pos, n);
                } else {
                    writer.write(pos, buf);
                }
                pos += n;
                done += n;
                progress.progress(done, total);
            }
        }
        return done;
    }

    static boolean isZero(ByteBuffer buf, ByteBuffer zeros) {
        ByteBuffer z = zeros.duplicate().clear().limit(buf.remaining());
        return buf.mismatch(z) == -1;
    }
}
