package dev.stillpoint.engine.backup;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.ingest.ExtentSource;
import dev.stillpoint.qemu.nbd.BlockExtent;
import dev.stillpoint.qemu.nbd.NbdClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An NBD export ({@link BlockSource}) as an {@link ExtentSource}, read through one meta context:
 * <ul>
 *   <li>{@link NbdClient#BASE_ALLOCATION} (a full read): extents that read as zeros
 *       ({@link BlockExtent#zero()}) are zero extents, every other one is data;</li>
 *   <li>a dirty bitmap ({@code qemu:dirty-bitmap:*}, an incremental read over a parent
 *       snapshot): dirty extents ({@link BlockExtent#dirty()}) are data, clean ones unchanged.</li>
 * </ul>
 */
final class NbdExtentSource implements ExtentSource {
    private final BlockSource export;
    private final String context;
    private final boolean dirtyBitmap;
    private final String name;

    /** Reads {@code export} through {@code context}; {@code name} for messages, e.g. {@code domain web1 disk vda}. */
    NbdExtentSource(BlockSource export, String context, String name) {
        this.export = export;
        this.context = context;
        this.dirtyBitmap = context.startsWith(NbdClient.DIRTY_BITMAP_PREFIX);
        this.name = name;
    }

    /** Meta contexts to negotiate: allocation, plus {@code dirtyContext} when not null. */
    static List<String> contexts(String dirtyContext) {
        return dirtyContext == null
                ? List.of(NbdClient.BASE_ALLOCATION)
                : List.of(NbdClient.BASE_ALLOCATION, dirtyContext);
    }

    /** Connects to an export; a failure is the copy's ({@code COPY_FAILED}, naming {@code name}). */
    static BlockSource connect(BlockSourceOpener opener, Path socket, String export, List<String> contexts, String name)
            throws EngineException {
        try {
            return opener.open(socket, export, contexts);
        } catch (IOException e) {
            throw new EngineException(
                    Code.COPY_FAILED,
                    "cannot open NBD export " + export + " of " + name + " on " + socket + ": " + e.getMessage(),
                    e);
        }
    }

    @Override
    public String describe() {
        return name;
    }

    @Override
    public long size() {
        return export.size();
    }

    @Override
    public List<Extent> extents(long offset, long length) throws IOException {
        List<BlockExtent> status = export.blockStatus(context, offset, length);
        List<Extent> out = new ArrayList<>(status.size());
        for (BlockExtent e : status) {
            Kind kind = dirtyBitmap ? (e.dirty() ? Kind.DATA : Kind.UNCHANGED) : (e.zero() ? Kind.ZERO : Kind.DATA);
            out.add(new Extent(e.offset(), e.length(), kind));
        }
        return out;
    }

    @Override
    public ByteBuffer read(long offset, int length, ByteBuffer scratch) throws IOException {
        scratch.clear().limit(length);
        export.read(offset, scratch);
        scratch.flip();
        if (scratch.remaining() != length) {
            throw new IOException("short read: wanted " + length + " bytes, got " + scratch.remaining());
        }
        return scratch;
    }

    /** The export stays open: its owner closes it. */
    @Override
    public void close() {}
}
