package dev.stillpoint.qemu.nbd;

import static dev.stillpoint.qemu.nbd.Nbd.*;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes NBD frames to a channel: one small method per frame kind, both directions (the client
 * writes options and requests; {@code MockNbdPeer} writes greetings, option replies and reply
 * chunks with the same class). Frames are logged at DEBUG as {@code >> ...}. Byte layouts are
 * drawn above the matching parsers in {@link NbdReader}.
 */
final class NbdWriter {
    private static final System.Logger LOG = NbdReader.LOG;

    private final WritableByteChannel out;

    NbdWriter(WritableByteChannel out) {
        this.out = out;
    }

    // ---- client -> server -------------------------------------------------------------------

    void clientFlags(int flags) throws IOException {
        log(">> CLIENT_FLAGS 0x%x", flags);
        write(ByteBuffer.allocate(4).putInt(flags));
    }

    void option(int option, byte[] data) throws IOException {
        log(">> OPTION %s len=%d", optionName(option), data.length);
        write(ByteBuffer.allocate(16 + data.length)
                .putLong(IHAVEOPT)
                .putInt(option)
                .putInt(data.length)
                .put(data));
    }

    void request(int flags, int type, long cookie, long offset, long length) throws IOException {
        log(">> %s cookie=%d offset=%d len=%d flags=0x%x", commandName(type), cookie, offset, length, flags);
        write(ByteBuffer.allocate(28)
                .putInt(REQUEST_MAGIC)
                .putShort((short) flags)
                .putShort((short) type)
                .putLong(cookie)
                .putLong(offset)
                .putInt((int) length));
    }

    /* NBD_OPT_GO / NBD_OPT_INFO data: | name length (u32) | name | n (u16) | info type (u16) * n | */
    static byte[] goPayload(String exportName, int... infoTypes) {
        byte[] name = exportName.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + name.length + 2 + 2 * infoTypes.length);
        b.putInt(name.length).put(name).putShort((short) infoTypes.length);
        for (int t : infoTypes) b.putShort((short) t);
        return b.array();
    }

    /* NBD_OPT_SET/LIST_META_CONTEXT data: | export len (u32) | export | n (u32) | { len (u32) | query } * n | */
    static byte[] metaContextPayload(String exportName, List<String> queries) {
        byte[] name = exportName.getBytes(StandardCharsets.UTF_8);
        int size = 4 + name.length + 4;
        for (String q : queries) size += 4 + q.getBytes(StandardCharsets.UTF_8).length;
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putInt(name.length).put(name).putInt(queries.size());
        for (String q : queries) {
            byte[] qb = q.getBytes(StandardCharsets.UTF_8);
            b.putInt(qb.length).put(qb);
        }
        return b.array();
    }

    // ---- server -> client (used by the scripted peer) ---------------------------------------

    void greeting(int flags) throws IOException {
        log(">> GREETING flags=0x%x", flags);
        write(ByteBuffer.allocate(18).putLong(NBDMAGIC).putLong(IHAVEOPT).putShort((short) flags));
    }

    void optionReply(int option, int type, byte[] data) throws IOException {
        log(">> OPTION_REPLY %s %s len=%d", optionName(option), replyTypeName(type), data.length);
        write(ByteBuffer.allocate(20 + data.length)
                .putLong(OPTION_REPLY_MAGIC)
                .putInt(option)
                .putInt(type)
                .putInt(data.length)
                .put(data));
    }

    /* NBD_REP_INFO / NBD_INFO_EXPORT: | type 0 (u16) | size (u64) | transmission flags (u16) | */
    void infoExport(int option, long size, int transmissionFlags) throws IOException {
        optionReply(
                option,
                REP_INFO,
                ByteBuffer.allocate(12)
                        .putShort((short) INFO_EXPORT)
                        .putLong(size)
                        .putShort((short) transmissionFlags)
                        .array());
    }

    /* NBD_REP_INFO / NBD_INFO_BLOCK_SIZE: | type 3 (u16) | minimum (u32) | preferred (u32) | maximum (u32) | */
    void infoBlockSize(int option, int min, int preferred, int max) throws IOException {
        optionReply(
                option,
                REP_INFO,
                ByteBuffer.allocate(14)
                        .putShort((short) INFO_BLOCK_SIZE)
                        .putInt(min)
                        .putInt(preferred)
                        .putInt(max)
                        .array());
    }

    /* NBD_REP_META_CONTEXT: | context id (u32) | name | */
    void metaContext(int option, int contextId, String name) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        optionReply(
                option,
                REP_META_CONTEXT,
                ByteBuffer.allocate(4 + n.length).putInt(contextId).put(n).array());
    }

    /* NBD_REP_SERVER (NBD_OPT_LIST): | name length (u32) | name | */
    void serverEntry(String name) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        optionReply(
                OPT_LIST,
                REP_SERVER,
                ByteBuffer.allocate(4 + n.length).putInt(n.length).put(n).array());
    }

    /* NBD_REP_INFO / NBD_INFO_NAME: | type 1 (u16) | name | */
    void infoName(int option, String name) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        optionReply(
                option,
                REP_INFO,
                ByteBuffer.allocate(2 + n.length)
                        .putShort((short) INFO_NAME)
                        .put(n)
                        .array());
    }

    /* NBD_REP_ERR_*: | message (UTF-8, for a human) | */
    void optionError(int option, NbdErrorCode code, String message) throws IOException {
        optionReply(option, code.value(), message.getBytes(StandardCharsets.UTF_8));
    }

    /* Reply to NBD_OPT_EXPORT_NAME: | size (u64) | transmission flags (u16) | [124 zero bytes] | */
    void exportNameReply(long size, int transmissionFlags, boolean zeroes) throws IOException {
        log(">> EXPORT_NAME_REPLY size=%d flags=0x%x", size, transmissionFlags);
        write(ByteBuffer.allocate(10 + (zeroes ? EXPORT_NAME_ZEROES : 0))
                .putLong(size)
                .putShort((short) transmissionFlags)
                .position(10 + (zeroes ? EXPORT_NAME_ZEROES : 0)));
    }

    void simpleReply(int error, long cookie, ByteBuffer data) throws IOException {
        log(">> SIMPLE_REPLY cookie=%d error=%d len=%d", cookie, error, data == null ? 0 : data.remaining());
        write(ByteBuffer.allocate(16).putInt(SIMPLE_REPLY_MAGIC).putInt(error).putLong(cookie));
        if (data != null) writeFully(data);
    }

    void chunk(int flags, int type, long cookie, ByteBuffer payload) throws IOException {
        log(">> CHUNK %s cookie=%d flags=0x%x len=%d", chunkTypeName(type), cookie, flags, payload.remaining());
        write(ByteBuffer.allocate(20)
                .putInt(STRUCTURED_REPLY_MAGIC)
                .putShort((short) flags)
                .putShort((short) type)
                .putLong(cookie)
                .putInt(payload.remaining()));
        writeFully(payload);
    }

    void offsetData(long cookie, boolean done, long offset, byte[] data) throws IOException {
        chunk(
                done ? REPLY_FLAG_DONE : 0,
                REPLY_TYPE_OFFSET_DATA,
                cookie,
                ByteBuffer.allocate(8 + data.length).putLong(offset).put(data).flip());
    }

    void offsetHole(long cookie, boolean done, long offset, int length) throws IOException {
        chunk(
                done ? REPLY_FLAG_DONE : 0,
                REPLY_TYPE_OFFSET_HOLE,
                cookie,
                ByteBuffer.allocate(12).putLong(offset).putInt(length).flip());
    }

    /* NBD_REPLY_TYPE_OFFSET_DATA from a buffer (no copy): | offset (u64) | data | */
    void offsetData(long cookie, boolean done, long offset, ByteBuffer data) throws IOException {
        log(">> CHUNK OFFSET_DATA cookie=%d offset=%d len=%d", cookie, offset, data.remaining());
        write(ByteBuffer.allocate(28)
                .putInt(STRUCTURED_REPLY_MAGIC)
                .putShort((short) (done ? REPLY_FLAG_DONE : 0))
                .putShort((short) REPLY_TYPE_OFFSET_DATA)
                .putLong(cookie)
                .putInt(8 + data.remaining())
                .putLong(offset));
        writeFully(data);
    }

    void blockStatus(long cookie, boolean done, int contextId, List<BlockExtent> extents) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + 8 * extents.size()).putInt(contextId);
        for (BlockExtent e : extents) b.putInt((int) e.length()).putInt(e.flags());
        chunk(done ? REPLY_FLAG_DONE : 0, REPLY_TYPE_BLOCK_STATUS, cookie, b.flip());
    }

    /** {@code extents} are {length, flags} pairs. */
    void blockStatus(long cookie, boolean done, int contextId, long[]... extents) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + 8 * extents.length).putInt(contextId);
        for (long[] e : extents) b.putInt((int) e[0]).putInt((int) e[1]);
        chunk(done ? REPLY_FLAG_DONE : 0, REPLY_TYPE_BLOCK_STATUS, cookie, b.flip());
    }

    void errorChunk(long cookie, boolean done, int error, String message) throws IOException {
        byte[] m = message.getBytes(StandardCharsets.UTF_8);
        chunk(
                done ? REPLY_FLAG_DONE : 0,
                REPLY_TYPE_ERROR,
                cookie,
                ByteBuffer.allocate(6 + m.length)
                        .putInt(error)
                        .putShort((short) m.length)
                        .put(m)
                        .flip());
    }

    void noneChunk(long cookie) throws IOException {
        chunk(REPLY_FLAG_DONE, REPLY_TYPE_NONE, cookie, ByteBuffer.allocate(0));
    }

    // ---- primitives -------------------------------------------------------------------------

    private void write(ByteBuffer frame) throws IOException {
        writeFully(frame.flip());
    }

    /**
     * Writes a heap buffer in slices of at most 256 KiB: the JDK copies each write of a heap
     * buffer through a temporary direct buffer of its size, cached per thread, so 32 MiB reads
     * would otherwise pin 32 MiB of native memory in every server worker.
     */
    private void writeFully(ByteBuffer b) throws IOException {
        if (b.isDirect() || b.remaining() <= WRITE_SLICE) {
            while (b.hasRemaining()) out.write(b);
            return;
        }
        int limit = b.limit();
        try {
            while (b.position() < limit) {
                b.limit(Math.min(limit, b.position() + WRITE_SLICE));
                while (b.hasRemaining()) out.write(b);
                b.limit(limit);
            }
        } finally {
            b.limit(limit);
        }
    }

    private static final int WRITE_SLICE = 256 << 10;

    private static void log(String format, Object... args) {
        if (LOG.isLoggable(Level.DEBUG)) LOG.log(Level.DEBUG, String.format(format, args));
    }
}
