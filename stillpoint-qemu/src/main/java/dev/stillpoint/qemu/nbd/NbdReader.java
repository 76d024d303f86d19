package dev.stillpoint.qemu.nbd;

import static dev.stillpoint.qemu.nbd.Nbd.*;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Reads NBD frames from a channel: one small method per frame kind. Knows both directions (the
 * client reads server frames; {@code MockNbdPeer} reads client frames with the same class).
 * Frames are logged at DEBUG as {@code << ...}. Integers are big-endian.
 */
final class NbdReader {
    static final System.Logger LOG = System.getLogger("dev.stillpoint.qemu.nbd.frames");

    private final ReadableByteChannel in;
    private final ByteBuffer buf = ByteBuffer.allocate(64 * 1024).flip();

    NbdReader(ReadableByteChannel in) {
        this.in = in;
    }

    // ---- server -> client ------------------------------------------------------------------

    /*
     * Server greeting (fixed newstyle):
     *   0               8               16   18
     *   +---------------+---------------+----+
     *   | "NBDMAGIC"    | "IHAVEOPT"    |flg |   flg: u16 handshake flags
     *   +---------------+---------------+----+
     */
    int readGreeting() throws IOException {
        long magic = readLong();
        long opt = readLong();
        if (magic != NBDMAGIC) throw protocol("greeting: magic 0x%016x, expected NBDMAGIC", magic);
        if (opt != IHAVEOPT) {
            throw new NbdException(
                    NbdErrorCode.UNSUPPORTED_SERVER,
                    String.format(
                            "greeting: 0x%016x after NBDMAGIC, expected IHAVEOPT (oldstyle servers are not supported)",
                            opt));
        }
        int flags = readU16();
        log("<< GREETING flags=0x%x", flags);
        return flags;
    }

    /*
     * Option reply:
     *   0        8      12     16     20
     *   +--------+------+------+------+==========+
     *   | magic  | opt  | type | len  | data ... |   magic 0x3e889045565a9
     *   +--------+------+------+------+==========+
     */
    OptionReply readOptionReply() throws IOException {
        long magic = readLong();
        if (magic != OPTION_REPLY_MAGIC)
            throw protocol("option reply: magic 0x%016x, expected 0x%016x", magic, OPTION_REPLY_MAGIC);
        int option = readInt();
        int type = readInt();
        int length = readInt();
        checkSmall("option reply " + optionName(option), length);
        byte[] data = readBytes(length);
        log("<< OPTION_REPLY %s %s len=%d", optionName(option), replyTypeName(type), length);
        return new OptionReply(option, type, data);
    }

    /*
     * Reply header, told apart by its magic:
     *   simple:      | magic 0x67446698 (u32) | error (u32) | cookie (u64) |  [+ read data]
     *   structured:  | magic 0x668e33ef (u32) | flags (u16) | type (u16) | cookie (u64) | length (u32) | payload
     */
    ReplyHeader readReplyHeader() throws IOException {
        int magic = readInt();
        if (magic == SIMPLE_REPLY_MAGIC) {
            int error = readInt();
            long cookie = readLong();
            log("<< SIMPLE_REPLY cookie=%d error=%d", cookie, error);
            return new ReplyHeader(false, 0, 0, cookie, 0, error);
        }
        if (magic == STRUCTURED_REPLY_MAGIC) {
            int flags = readU16();
            int type = readU16();
            long cookie = readLong();
            long length = readU32();
            log("<< CHUNK %s cookie=%d flags=0x%x len=%d", chunkTypeName(type), cookie, flags, length);
            return new ReplyHeader(true, flags, type, cookie, length, 0);
        }
        throw protocol(
                "reply: magic 0x%08x, expected simple 0x%08x or structured 0x%08x",
                magic, SIMPLE_REPLY_MAGIC, STRUCTURED_REPLY_MAGIC);
    }

    /*
     * NBD_REPLY_TYPE_BLOCK_STATUS payload:
     *   | context id (u32) | { extent length (u32) | status flags (u32) } * n |
     */
    BlockStatusChunk readBlockStatusPayload(long length) throws IOException {
        if (length < 4 || (length - 4) % 8 != 0) throw protocol("BLOCK_STATUS chunk: length %d is not 4 + 8*n", length);
        checkSmall("BLOCK_STATUS chunk", length);
        int contextId = readInt();
        int n = (int) ((length - 4) / 8);
        List<long[]> descriptors = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long extentLength = readU32();
            int flags = readInt();
            descriptors.add(new long[] {extentLength, flags});
        }
        return new BlockStatusChunk(contextId, descriptors);
    }

    /*
     * NBD_REPLY_TYPE_ERROR / ERROR_OFFSET payload:
     *   | error (u32) | message length (u16) | message | [offset (u64), ERROR_OFFSET only] |
     */
    ErrorChunk readErrorPayload(int type, long length) throws IOException {
        if (length < 6) throw protocol("error chunk: length %d < 6", length);
        checkSmall("error chunk", length);
        int error = readInt();
        int msgLength = readU16();
        if (msgLength > length - 6)
            throw protocol("error chunk: message length %d exceeds chunk length %d", msgLength, length);
        String message = new String(readBytes(msgLength), StandardCharsets.UTF_8);
        long rest = length - 6 - msgLength;
        long offset = -1;
        if (type == REPLY_TYPE_ERROR_OFFSET && rest >= 8) {
            offset = readLong();
            rest -= 8;
        }
        skip(rest);
        return new ErrorChunk(error, message, offset);
    }

    // ---- client -> server (used by the scripted peer) ---------------------------------------

    /* Client flags: | flags (u32) | */
    int readClientFlags() throws IOException {
        int flags = readInt();
        log("<< CLIENT_FLAGS 0x%x", flags);
        return flags;
    }

    /* Option: | "IHAVEOPT" (u64) | option (u32) | length (u32) | data | */
    Option readOption() throws IOException {
        long magic = readLong();
        if (magic != IHAVEOPT) throw protocol("option: magic 0x%016x, expected IHAVEOPT", magic);
        int option = readInt();
        int length = readInt();
        checkSmall("option " + optionName(option), length);
        byte[] data = readBytes(length);
        log("<< OPTION %s len=%d", optionName(option), length);
        return new Option(option, data);
    }

    /*
     * Request:
     *   | magic 0x25609513 (u32) | flags (u16) | type (u16) | cookie (u64) | offset (u64) | length (u32) | [write data]
     */
    Request readRequest() throws IOException {
        int magic = readInt();
        if (magic != REQUEST_MAGIC) throw protocol("request: magic 0x%08x, expected 0x%08x", magic, REQUEST_MAGIC);
        int flags = readU16();
        int type = readU16();
        long cookie = readLong();
        long offset = readLong();
        long length = readU32();
        log("<< %s cookie=%d offset=%d len=%d flags=0x%x", commandName(type), cookie, offset, length, flags);
        return new Request(flags, type, cookie, offset, length);
    }

    // ---- primitives -------------------------------------------------------------------------

    /** Reads exactly {@code dst.remaining()} bytes into {@code dst}. */
    void readFully(ByteBuffer dst) throws IOException {
        while (dst.hasRemaining() && buf.hasRemaining()) {
            int n = Math.min(dst.remaining(), buf.remaining());
            dst.put(dst.position(), buf, buf.position(), n);
            dst.position(dst.position() + n);
            buf.position(buf.position() + n);
        }
        while (dst.hasRemaining()) {
            if (in.read(dst) < 0) throw closed(dst.remaining());
        }
    }

    void skip(long n) throws IOException {
        while (n > 0) {
            require(1);
            int k = (int) Math.min(n, buf.remaining());
            buf.position(buf.position() + k);
            n -= k;
        }
    }

    byte[] readBytes(int n) throws IOException {
        byte[] b = new byte[n];
        readFully(ByteBuffer.wrap(b));
        return b;
    }

    long readLong() throws IOException {
        require(8);
        return buf.getLong();
    }

    int readInt() throws IOException {
        require(4);
        return buf.getInt();
    }

    long readU32() throws IOException {
        return Integer.toUnsignedLong(readInt());
    }

    int readU16() throws IOException {
        require(2);
        return Short.toUnsignedInt(buf.getShort());
    }

    private void require(int n) throws IOException {
        if (buf.remaining() >= n) return;
        buf.compact();
        try {
            while (buf.position() < n) {
                if (in.read(buf) < 0) throw closed(n - buf.position());
            }
        } finally {
            buf.flip();
        }
    }

    private static NbdException closed(int missing) {
        return new NbdException(
                NbdErrorCode.CONNECTION_CLOSED,
                "NBD connection closed by the peer with " + missing + " byte(s) of a frame still expected");
    }

    private static void checkSmall(String what, long length) throws NbdException {
        if (length < 0 || length > MAX_SMALL_PAYLOAD) {
            throw protocol("%s: payload length %d outside 0..%d", what, length, MAX_SMALL_PAYLOAD);
        }
    }

    static NbdException protocol(String format, Object... args) {
        return new NbdException(NbdErrorCode.PROTOCOL_ERROR, "NBD protocol error: " + String.format(format, args));
    }

    private static void log(String format, Object... args) {
        if (LOG.isLoggable(Level.DEBUG)) LOG.log(Level.DEBUG, String.format(format, args));
    }

    static String hex(byte[] data) {
        return HexFormat.of().formatHex(data, 0, Math.min(data.length, 64));
    }

    // ---- frames -----------------------------------------------------------------------------

    record OptionReply(int option, int type, byte[] data) {
        boolean isError() {
            return (type & REP_FLAG_ERROR) != 0;
        }
    }

    /** A reply header; {@code structured} tells which fields are meaningful. */
    record ReplyHeader(boolean structured, int flags, int type, long cookie, long length, int error) {
        boolean done() {
            return !structured || (flags & REPLY_FLAG_DONE) != 0;
        }
    }

    /** Descriptors are {length, flags} pairs, in order from the request's offset. */
    record BlockStatusChunk(int contextId, List<long[]> descriptors) {}

    record ErrorChunk(int error, String message, long offset) {}

    record Option(int option, byte[] data) {}

    record Request(int flags, int type, long cookie, long offset, long length) {}
}
