package dev.stillpoint.qemu.nbd;

import static dev.stillpoint.qemu.nbd.Nbd.*;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Owns one socket to an NBD server: runs the fixed newstyle handshake and then one request at a
 * time (requests are not pipelined; the connection is not thread-safe).
 */
final class NbdConnection implements Closeable {
    private final java.nio.channels.SocketChannel channel;
    private final NbdReader reader;
    private final NbdWriter writer;
    private final String peer;
    private long nextCookie = 1;
    private boolean structuredReplies;
    private boolean closed;

    private NbdConnection(java.nio.channels.SocketChannel channel, String peer) {
        this.channel = channel;
        this.reader = new NbdReader(channel);
        this.writer = new NbdWriter(channel);
        this.peer = peer;
    }

    static NbdConnection open(SocketAddress address) throws IOException {
        java.nio.channels.SocketChannel ch;
        if (address instanceof UnixDomainSocketAddress) {
            ch = java.nio.channels.SocketChannel.open(StandardProtocolFamily.UNIX);
        } else if (address instanceof InetSocketAddress) {
            ch = java.nio.channels.SocketChannel.open();
        } else {
            throw new IllegalArgumentException("address must be a unix or inet socket address, got " + address);
        }
        try {
            ch.connect(address);
            if (address instanceof InetSocketAddress) ch.socket().setTcpNoDelay(true);
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot connect to NBD server at " + address + ": " + e.getMessage(), e);
        }
        return new NbdConnection(ch, address.toString());
    }

    String peer() {
        return peer;
    }

    /**
     * Fixed newstyle handshake: greeting, client flags, STRUCTURED_REPLY, SET_META_CONTEXT (when
     * contexts are asked for), GO with INFO_EXPORT and INFO_BLOCK_SIZE.
     */
    NbdExport handshake(String exportName, List<String> metaContexts) throws IOException {
        int serverFlags = reader.readGreeting();
        if ((serverFlags & FLAG_FIXED_NEWSTYLE) == 0) {
            throw new NbdException(
                    NbdErrorCode.UNSUPPORTED_SERVER,
                    "NBD server at " + peer + " does not offer fixed newstyle negotiation");
        }
        int clientFlags = CLIENT_FLAG_FIXED_NEWSTYLE | (serverFlags & FLAG_NO_ZEROES);
        writer.clientFlags(clientFlags);

        structuredReplies = negotiateStructuredReplies();
        Map<String, Integer> contexts = new LinkedHashMap<>();
        if (!metaContexts.isEmpty()) {
            if (!structuredReplies) {
                throw new NbdException(
                        NbdErrorCode.UNSUPPORTED_SERVER,
                        "NBD server at " + peer + " refused structured replies, needed for meta contexts "
                                + metaContexts);
            }
            contexts = setMetaContexts(exportName, metaContexts);
        }
        return go(exportName, contexts);
    }

    private boolean negotiateStructuredReplies() throws IOException {
        writer.option(OPT_STRUCTURED_REPLY, new byte[0]);
        NbdReader.OptionReply reply = expectReplyTo(OPT_STRUCTURED_REPLY);
        if (reply.type() == REP_ACK) return true;
        if (reply.isError()) return false;
        throw NbdReader.protocol("STRUCTURED_REPLY: unexpected reply type %s", replyTypeName(reply.type()));
    }

    /* NBD_REP_META_CONTEXT replies, then ACK. Contexts the server does not know are simply absent. */
    private Map<String, Integer> setMetaContexts(String exportName, List<String> queries) throws IOException {
        writer.option(OPT_SET_META_CONTEXT, NbdWriter.metaContextPayload(exportName, queries));
        Map<String, Integer> contexts = new LinkedHashMap<>();
        while (true) {
            NbdReader.OptionReply reply = expectReplyTo(OPT_SET_META_CONTEXT);
            if (reply.type() == REP_ACK) return contexts;
            if (reply.isError()) throw optionError("SET_META_CONTEXT for export '" + exportName + "'", reply);
            if (reply.type() != REP_META_CONTEXT || reply.data().length < 4) {
                throw NbdReader.protocol(
                        "SET_META_CONTEXT: unexpected reply %s len=%d",
                        replyTypeName(reply.type()), reply.data().length);
            }
            ByteBuffer b = ByteBuffer.wrap(reply.data());
            int id = b.getInt();
            String name = StandardCharsets.UTF_8.decode(b).toString();
            contexts.put(name, id);
        }
    }

    private NbdExport go(String exportName, Map<String, Integer> contexts) throws IOException {
        writer.option(OPT_GO, NbdWriter.goPayload(exportName, INFO_EXPORT, INFO_BLOCK_SIZE));
        long size = -1;
        int tflags = 0;
        int min = 1, preferred = 4096, max = MAX_READ;
        while (true) {
            NbdReader.OptionReply reply = expectReplyTo(OPT_GO);
            if (reply.type() == REP_ACK) break;
            if (reply.isError()) throw optionError("GO for export '" + exportName + "'", reply);
            if (reply.type() != REP_INFO) continue; // unknown non-error replies are ignored
            ByteBuffer b = ByteBuffer.wrap(reply.data());
            if (b.remaining() < 2) throw NbdReader.protocol("GO: INFO reply of %d bytes", b.remaining());
            int infoType = Short.toUnsignedInt(b.getShort());
            /* INFO_EXPORT: | 0 (u16) | size (u64) | transmission flags (u16) | */
            if (infoType == INFO_EXPORT && b.remaining() >= 10) {
                size = b.getLong();
                tflags = Short.toUnsignedInt(b.getShort());
                /* INFO_BLOCK_SIZE: | 3 (u16) | min (u32) | preferred (u32) | max (u32) | */
            } else if (infoType == INFO_BLOCK_SIZE && b.remaining() >= 12) {
                min = b.getInt();
                preferred = b.getInt();
                max = b.getInt();
            }
        }
        if (size < 0)
            throw NbdReader.protocol("GO for export '%s': server acknowledged without NBD_INFO_EXPORT", exportName);
        return new NbdExport(exportName, size, tflags, min, preferred, max, Map.copyOf(contexts));
    }

    private NbdReader.OptionReply expectReplyTo(int option) throws IOException {
        NbdReader.OptionReply reply = reader.readOptionReply();
        if (reply.option() != option) {
            throw NbdReader.protocol(
                    "reply to option %s while waiting for %s", optionName(reply.option()), optionName(option));
        }
        return reply;
    }

    private NbdException optionError(String what, NbdReader.OptionReply reply) {
        NbdErrorCode code = NbdErrorCode.fromOptionReply(reply.type());
        String text = reply.data().length > 0 ? ": " + new String(reply.data(), StandardCharsets.UTF_8) : "";
        return new NbdException(code, "NBD server at " + peer + " refused " + what + " with " + code + text);
    }

    /**
     * NBD_CMD_READ of {@code dst.remaining()} bytes (at most the server's maximum) at {@code offset}.
     * Structured replies may arrive as any mix of OFFSET_DATA and OFFSET_HOLE chunks in any order;
     * together they must cover the request exactly once.
     */
    void read(long offset, ByteBuffer dst) throws IOException {
        int length = dst.remaining();
        int base = dst.position();
        long cookie = nextCookie++;
        writer.request(0, CMD_READ, cookie, offset, length);
        long covered = 0;
        NbdException error = null;
        while (true) {
            NbdReader.ReplyHeader h = replyHeader(cookie);
            if (!h.structured()) {
                if (h.error() != 0) throw transmissionError("READ", offset, length, h.error(), "");
                reader.readFully(dst.slice(base, length));
                covered = length;
                break;
            }
            switch (h.type()) {
                /* OFFSET_DATA: | offset (u64) | data (length - 8) | */
                case REPLY_TYPE_OFFSET_DATA -> {
                    if (h.length() < 8) throw NbdReader.protocol("OFFSET_DATA chunk: length %d < 8", h.length());
                    long at = reader.readLong();
                    long n = h.length() - 8;
                    checkWithin("OFFSET_DATA", at, n, offset, length);
                    reader.readFully(dst.slice(base + (int) (at - offset), (int) n));
                    covered += n;
                }
                /* OFFSET_HOLE: | offset (u64) | hole size (u32) | */
                case REPLY_TYPE_OFFSET_HOLE -> {
                    if (h.length() != 12) throw NbdReader.protocol("OFFSET_HOLE chunk: length %d != 12", h.length());
                    long at = reader.readLong();
                    long n = reader.readU32();
                    checkWithin("OFFSET_HOLE", at, n, offset, length);
                    int from = base + (int) (at - offset);
                    for (int i = 0; i < n; i++) dst.put(from + i, (byte) 0);
                    covered += n;
                }
                case REPLY_TYPE_NONE -> reader.skip(h.length());
                default -> error = chunkError("READ", offset, length, h, error);
            }
            if (h.done()) break;
        }
        if (error != null) throw error;
        if (covered != length) {
            throw NbdReader.protocol("READ offset=%d len=%d: reply chunks covered %d bytes", offset, length, covered);
        }
        dst.position(base + length);
    }

    /**
     * NBD_CMD_BLOCK_STATUS for {@code length} bytes at {@code offset}; returns the descriptors of
     * context {@code contextId} as extents starting at {@code offset} (other contexts' chunks are
     * read and dropped).
     */
    List<BlockExtent> blockStatus(int contextId, long offset, long length) throws IOException {
        long cookie = nextCookie++;
        writer.request(0, CMD_BLOCK_STATUS, cookie, offset, length);
        List<BlockExtent> extents = null;
        NbdException error = null;
        while (true) {
            NbdReader.ReplyHeader h = replyHeader(cookie);
            if (!h.structured()) {
                if (h.error() != 0) throw transmissionError("BLOCK_STATUS", offset, length, h.error(), "");
                throw NbdReader.protocol("BLOCK_STATUS: simple reply without error");
            }
            if (h.type() == REPLY_TYPE_BLOCK_STATUS) {
                NbdReader.BlockStatusChunk chunk = reader.readBlockStatusPayload(h.length());
                if (chunk.contextId() == contextId) extents = toExtents(chunk, offset);
            } else if (h.type() == REPLY_TYPE_NONE) {
                reader.skip(h.length());
            } else {
                error = chunkError("BLOCK_STATUS", offset, length, h, error);
            }
            if (h.done()) break;
        }
        if (error != null) throw error;
        if (extents == null || extents.isEmpty()) {
            throw NbdReader.protocol(
                    "BLOCK_STATUS offset=%d len=%d: no extents for context id %d", offset, length, contextId);
        }
        return extents;
    }

    private static List<BlockExtent> toExtents(NbdReader.BlockStatusChunk chunk, long offset) throws NbdException {
        List<BlockExtent> extents = new ArrayList<>(chunk.descriptors().size());
        long at = offset;
        for (long[] d : chunk.descriptors()) {
            if (d[0] == 0) throw NbdReader.protocol("BLOCK_STATUS: zero-length extent at offset %d", at);
            extents.add(new BlockExtent(at, d[0], (int) d[1]));
            at += d[0];
        }
        return extents;
    }

    /** NBD_CMD_DISC (no reply; best effort: a peer that already went away is not an error), then close. */
    void disconnect() throws IOException {
        if (closed) return;
        try {
            writer.request(0, CMD_DISC, nextCookie++, 0, 0);
        } catch (IOException e) {
            NbdReader.LOG.log(
                    System.Logger.Level.DEBUG, "NBD_CMD_DISC to " + peer + " not delivered: " + e.getMessage());
        } finally {
            close();
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        channel.close();
    }

    boolean structuredReplies() {
        return structuredReplies;
    }

    private NbdReader.ReplyHeader replyHeader(long cookie) throws IOException {
        NbdReader.ReplyHeader h = reader.readReplyHeader();
        if (h.cookie() != cookie)
            throw NbdReader.protocol("reply for cookie %d while waiting for %d", h.cookie(), cookie);
        return h;
    }

    private NbdException chunkError(
            String command, long offset, long length, NbdReader.ReplyHeader h, NbdException previous)
            throws IOException {
        if ((h.type() & REPLY_TYPE_ERROR_BIT) == 0) {
            throw NbdReader.protocol("%s: unexpected chunk type %s", command, chunkTypeName(h.type()));
        }
        NbdReader.ErrorChunk e = reader.readErrorPayload(h.type(), h.length());
        String where = e.offset() >= 0 ? " at offset " + e.offset() : "";
        NbdException ex = transmissionError(
                command, offset, length, e.error(), where + (e.message().isEmpty() ? "" : ": " + e.message()));
        return previous != null ? previous : ex;
    }

    private NbdException transmissionError(String command, long offset, long length, int error, String detail) {
        NbdErrorCode code = NbdErrorCode.fromTransmission(error);
        return new NbdException(
                code,
                String.format(
                        "NBD %s offset=%d len=%d on %s failed with %s (%d)%s",
                        command, offset, length, peer, code, error, detail));
    }

    private static void checkWithin(String chunk, long at, long n, long offset, long length) throws NbdException {
        if (at < offset || n < 0 || at + n > offset + length) {
            throw NbdReader.protocol("%s chunk [%d, +%d) outside request [%d, +%d)", chunk, at, n, offset, length);
        }
    }

    /** What NBD_OPT_GO told about the export. */
    record NbdExport(
            String name,
            long size,
            int transmissionFlags,
            int minBlock,
            int preferredBlock,
            int maxBlock,
            Map<String, Integer> contexts) {
        boolean readOnly() {
            return (transmissionFlags & TFLAG_READ_ONLY) != 0;
        }
    }
}
