package dev.stillpoint.qemu.nbd;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A read-only NBD client for one export: connects, negotiates structured replies and meta
 * contexts, then reads data and block status. One request at a time; not thread-safe (open one
 * client per thread for parallel reads).
 *
 * <pre>{@code
 * try (NbdClient nbd = NbdClient.connect(socket, "vda", List.of("base:allocation"))) {
 *     for (BlockExtent e : nbd.blockStatus("base:allocation", 0, nbd.size())) { ... }
 * }
 * }</pre>
 */
public final class NbdClient implements AutoCloseable {
    /** The allocation context every NBD server with block status offers. */
    public static final String BASE_ALLOCATION = "base:allocation";
    /** Prefix of qemu's dirty bitmap contexts ({@code qemu:dirty-bitmap:NAME}). */
    public static final String DIRTY_BITMAP_PREFIX = "qemu:dirty-bitmap:";

    /** Largest block status request; the server may answer less. */
    static final long MAX_STATUS_LENGTH = 0x7fff_0000L;

    private final NbdConnection connection;
    private final NbdConnection.NbdExport export;

    private NbdClient(NbdConnection connection, NbdConnection.NbdExport export) {
        this.connection = connection;
        this.export = export;
    }

    /**
     * Connects to an NBD server on a unix socket and opens {@code exportName}, asking for
     * {@code metaContexts} (those the server does not offer are absent; check {@link #hasContext}).
     */
    public static NbdClient connect(Path unixSocket, String exportName, List<String> metaContexts) throws IOException {
        Objects.requireNonNull(unixSocket, "unixSocket");
        return connect(UnixDomainSocketAddress.of(unixSocket), exportName, metaContexts);
    }

    /** Same as {@link #connect(Path, String, List)} over TCP. */
    public static NbdClient connect(String host, int port, String exportName, List<String> metaContexts)
            throws IOException {
        if (port <= 0 || port > 65535) throw new IllegalArgumentException("port must be 1..65535, got " + port);
        return connect(new InetSocketAddress(host, port), exportName, metaContexts);
    }

    private static NbdClient connect(SocketAddress address, String exportName, List<String> metaContexts)
            throws IOException {
        Objects.requireNonNull(exportName, "exportName");
        List<String> contexts = List.copyOf(Objects.requireNonNull(metaContexts, "metaContexts"));
        NbdConnection connection = NbdConnection.open(address);
        try {
            return new NbdClient(connection, connection.handshake(exportName, contexts));
        } catch (IOException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    /** Export size in bytes. */
    public long size() {
        return export.size();
    }

    /** Whether the server agreed to meta context {@code name}. */
    public boolean hasContext(String name) {
        return export.contexts().containsKey(name);
    }

    /** Server's preferred block size (4096 when it did not say). */
    public int preferredBlockSize() {
        return export.preferredBlock();
    }

    /** Whether the server exports read-only. */
    public boolean readOnly() {
        return export.readOnly();
    }

    /**
     * Extents covering the start of [offset, offset+length): the server may answer for less than
     * asked (the caller loops from the end of the last extent); extents never reach past
     * {@code offset+length}. Flags follow the context's semantics (see {@link BlockExtent}).
     */
    public List<BlockExtent> blockStatus(String context, long offset, long length) throws IOException {
        Integer id = export.contexts().get(context);
        if (id == null) {
            throw new NbdException(
                    NbdErrorCode.CONTEXT_NOT_NEGOTIATED,
                    "meta context '" + context + "' was not negotiated with export '" + export.name()
                            + "' (negotiated: " + export.contexts().keySet() + ")");
        }
        checkRange("blockStatus", offset, length);
        if (length == 0) return List.of();
        long end = offset + length;
        List<BlockExtent> extents = connection.blockStatus(id, offset, Math.min(length, MAX_STATUS_LENGTH));
        return clip(extents, end);
    }

    /** Reads {@code dst.remaining()} bytes at {@code offset} into {@code dst} (split into requests of at most 32 MiB). */
    public void read(long offset, ByteBuffer dst) throws IOException {
        checkRange("read", offset, dst.remaining());
        int max = Math.min(Nbd.MAX_READ, export.maxBlock() > 0 ? export.maxBlock() : Nbd.MAX_READ);
        long at = offset;
        while (dst.hasRemaining()) {
            int n = Math.min(max, dst.remaining());
            ByteBuffer part = dst.slice(dst.position(), n);
            connection.read(at, part);
            dst.position(dst.position() + n);
            at += n;
        }
    }

    /** Sends NBD_CMD_DISC and closes the socket. */
    @Override
    public void close() throws IOException {
        connection.disconnect();
    }

    @Override
    public String toString() {
        return "NbdClient[" + connection.peer() + " export=" + export.name() + " size=" + export.size() + "]";
    }

    private void checkRange(String what, long offset, long length) {
        if (offset < 0 || length < 0 || offset > export.size() - length) {
            throw new IllegalArgumentException(what + ": range offset=" + offset + " length=" + length
                    + " must lie within export '" + export.name() + "' of size " + export.size());
        }
    }

    private static List<BlockExtent> clip(List<BlockExtent> extents, long end) {
        BlockExtent last = extents.get(extents.size() - 1);
        if (last.end() <= end) return extents;
        java.util.ArrayList<BlockExtent> out = new java.util.ArrayList<>(extents.size());
        for (BlockExtent e : extents) {
            if (e.offset() >= end) break;
            out.add(e.end() <= end ? e : new BlockExtent(e.offset(), end - e.offset(), e.flags()));
        }
        return List.copyOf(out);
    }
}
