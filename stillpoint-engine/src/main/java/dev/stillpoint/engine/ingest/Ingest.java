package dev.stillpoint.engine.ingest;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.ingest.ExtentSource.Extent;
import dev.stillpoint.engine.ingest.ExtentSource.Kind;
import dev.stillpoint.repository.ImageWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The one ingest loop: copies an {@link ExtentSource} into an {@link ImageWriter}. First
 * {@link #scan} lists the extents to copy (cheap; gives the total for progress and ETA), then
 * {@link #copy} reads the data extents in offset order in bounded buffers; all-zero buffers and
 * zero extents become {@code writeZeroes}, unchanged extents are left to the parent snapshot.
 *
 * <p>Errors: a failure of the source (an NBD error, an I/O error of the file, a file that
 * changed while it was read) is wrapped here, once, as {@link Code#COPY_FAILED} naming the
 * source and the offset; failures of the writer (the repository) pass through unchanged with
 * their own codes.
 */
public final class Ingest {

    /** Largest range asked of {@link ExtentSource#extents} at once (NBD block status lengths are 32-bit). */
    static final long MAX_STATUS_REQUEST = 1L << 30;

    /** Progress of a copy: {@code done} of {@code total} data bytes read ({@code total} -1 when unknown). */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (done, total) -> {};

        void progress(long done, long total);
    }

    /** What {@link #scan} found: the extents to copy, ascending and coalesced (unchanged ranges left out). */
    public record Plan(List<Extent> extents, long dataBytes) {
        public Plan {
            extents = List.copyOf(extents);
        }
    }

    private Ingest() {}

    /** Scans the whole source; a source of unknown size is one data extent read until it ends. */
    public static Plan scan(ExtentSource src) throws EngineException {
        long size = src.size();
        if (size == ExtentSource.UNKNOWN_SIZE) {
            return new Plan(List.of(new Extent(0, Long.MAX_VALUE, Kind.DATA)), ExtentSource.UNKNOWN_SIZE);
        }
        List<Extent> out = new ArrayList<>();
        long data = 0;
        long pos = 0;
        while (pos < size) {
            List<Extent> extents;
            try {
                extents = src.extents(pos, Math.min(size - pos, MAX_STATUS_REQUEST));
            } catch (IOException e) {
                throw failed(src, pos, e);
            }
            long advanced = 0;
            for (Extent e : extents) {
                if (e.offset() != pos + advanced || e.length() <= 0) {
                    throw failed(
                            src,
                            pos + advanced,
                            new IOException("extent " + e
                                    + " breaks the order of the source (extents must be contiguous and non-empty)"));
                }
                long len = Math.min(e.length(), size - e.offset());
                if (len > 0 && e.kind() != Kind.UNCHANGED) {
                    add(out, new Extent(e.offset(), len, e.kind()));
                    if (e.kind() == Kind.DATA) data += len;
                }
                advanced += len;
                if (pos + advanced >= size) break;
            }
            if (advanced == 0) throw failed(src, pos, new IOException("no extents returned"));
            pos += advanced;
        }
        return new Plan(out, data);
    }

    private static void add(List<Extent> out, Extent e) {
        if (!out.isEmpty() && out.getLast().end() == e.offset() && out.getLast().kind() == e.kind()) {
            Extent last = out.removeLast();
            out.add(new Extent(last.offset(), last.length() + e.length(), e.kind()));
        } else {
            out.add(e);
        }
    }

    /**
     * Copies {@code plan} from {@code src} into {@code writer} with buffers of {@code bufferSize}
     * bytes; returns the data bytes read. Zero extents are written as zeros only
     * {@code overParent} (without a parent, unwritten ranges are holes already). Stops with
     * {@link Code#CANCELLED} when {@code cancelled} turns true.
     */
    public static long copy(
            ExtentSource src,
            Plan plan,
            ImageWriter writer,
            boolean overParent,
            int bufferSize,
            Progress progress,
            BooleanSupplier cancelled)
            throws EngineException, IOException {
        ByteBuffer scratch = ByteBuffer.allocateDirect(bufferSize);
        ByteBuffer zeros = ByteBuffer.allocateDirect(bufferSize);
        boolean stream = src.size() == ExtentSource.UNKNOWN_SIZE;
        long total = plan.dataBytes();
        long done = 0;
        long pos = 0;
        progress.progress(0, total);
        copying:
        for (Extent e : plan.extents()) {
            pos = e.offset();
            if (e.kind() == Kind.ZERO) {
                if (overParent) writer.writeZeroes(pos, e.length());
                continue;
            }
            while (pos < e.end()) {
                if (cancelled.getAsBoolean()) {
                    throw new EngineException(
                            Code.CANCELLED, "cancelled while copying " + src.describe() + " at offset " + pos);
                }
                int want = (int) Math.min(bufferSize, e.end() - pos);
                ByteBuffer data;
                try {
                    data = src.read(pos, want, scratch);
                } catch (IOException ex) {
                    throw failed(src, pos, ex);
                }
                int n = data.remaining();
                if (n == 0) {
                    if (stream) break copying;
                    throw failed(
                            src,
                            pos,
                            new IOException(
                                    "the source ended before " + e.end() + " (did it change while it was read?)"));
                }
                try {
                    if (data.mismatch(zeros.duplicate().clear().limit(n)) == -1) {
                        writer.writeZeroes(pos, n);
                    } else {
                        writer.write(pos, data);
                    }
                } catch (InternalError fault) { // a fault in a file mapping: the file shrank under us
                    throw failed(
                            src, pos, new IOException("changed while it was read (" + fault.getMessage() + ")", fault));
                }
                pos += n;
                done += n;
                progress.progress(done, total);
            }
        }
        try {
            src.finished();
        } catch (IOException ex) {
            throw failed(src, pos, ex);
        }
        return done;
    }

    /** A failure of the source, as the one {@link Code#COPY_FAILED} error that names it and the offset. */
    private static EngineException failed(ExtentSource src, long offset, IOException cause) {
        return new EngineException(
                Code.COPY_FAILED,
                "reading " + src.describe() + " failed at offset " + offset + ": " + cause.getMessage(),
                cause);
    }
}
