package dev.stillpoint.qemu.nbd;

import static dev.stillpoint.qemu.nbd.Nbd.*;

import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;

/**
 * One client of {@link NbdServer}: owns the socket, runs the fixed newstyle handshake on its own
 * (virtual) thread, then reads requests and hands reads and block status queries to the server's
 * worker pool. Replies are written whole under one lock, so chunks of different requests never
 * interleave mid-frame; their order follows completion, as the protocol allows (the cookie ties a
 * reply to its request).
 *
 * <p>Errors: a request the server can answer (bad range, write on the read-only export, too
 * large) gets its errno and the connection goes on; a frame it cannot trust (bad magic, unknown
 * client flags, a write payload too large to skip) ends this connection only.
 */
final class NbdServerConnection implements Closeable {
    private static final System.Logger LOG = NbdServer.LOG;
    /** Largest write payload skipped to answer EPERM/EINVAL; beyond it the connection is dropped. */
    private static final long MAX_SKIP = 2L * MAX_READ;

    private final SocketChannel channel;
    private final NbdServer server;
    private final NbdReader reader;
    private final NbdWriter writer;
    private final Semaphore slots;
    private final Object inFlightLock = new Object();
    private int inFlight;
    private boolean noZeroes;
    private boolean structured;
    /** Export the negotiated meta context belongs to (null: none negotiated). */
    private String contextExport;

    /** Chosen at the end of the handshake. */
    private String exportName;

    private NbdExportSource export;
    private volatile boolean shuttingDown;
    /** System.nanoTime() when the reply being written started, 0 when none is. */
    private volatile long writingSince;

    NbdServerConnection(SocketChannel channel, NbdServer server) {
        this.channel = channel;
        this.server = server;
        this.reader = new NbdReader(channel);
        this.writer = new NbdWriter(channel);
        this.slots = new Semaphore(server.maxRequestsPerConnection());
    }

    /** Handshake, then requests until NBD_CMD_DISC, a hang-up, a broken frame or shutdown. */
    void run() {
        try {
            if (handshake()) transmission();
        } catch (NbdException e) {
            if (e.code() == NbdErrorCode.CONNECTION_CLOSED) LOG.log(Level.DEBUG, "client hung up: {0}", e.getMessage());
            else LOG.log(Level.WARNING, "NBD client dropped: " + e.getMessage());
        } catch (IOException e) {
            if (!shuttingDown) LOG.log(Level.DEBUG, "NBD connection ended: {0}", e.toString());
        } catch (RuntimeException | Error e) {
            LOG.log(Level.ERROR, "NBD connection failed", e);
        } finally {
            awaitIdle();
            close();
        }
    }

    /** Hard disconnect (idempotent). */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing more to do with this client
        }
    }

    /** Server shutdown: stop reading new requests; the caller closes after in-flight work ends. */
    void shutdown() {
        shuttingDown = true;
        try {
            channel.shutdownInput();
        } catch (IOException ignored) {
            // already gone
        }
    }

    // ---- handshake ----------------------------------------------------------------------------

    /** Returns true when the client chose an export (transmission follows), false when it aborted. */
    private boolean handshake() throws IOException {
        writer.greeting(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES);
        int clientFlags = reader.readClientFlags();
        if ((clientFlags & ~(CLIENT_FLAG_FIXED_NEWSTYLE | CLIENT_FLAG_NO_ZEROES)) != 0) {
            throw NbdReader.protocol("client flags 0x%x: unknown bits set", clientFlags);
        }
        noZeroes = (clientFlags & CLIENT_FLAG_NO_ZEROES) != 0;
        while (true) {
            NbdReader.Option opt = readOption();
            if (opt == null) continue;
            byte[] d = opt.data();
            switch (opt.option()) {
                case OPT_EXPORT_NAME -> {
                    String name = string(d, 0, d.length);
                    if (!choose(name))
                        throw new NbdException(
                                NbdErrorCode.REP_ERR_UNKNOWN, "NBD_OPT_EXPORT_NAME: no export '" + name + "'");
                    writer.exportNameReply(export.size(), transmissionFlags(), !noZeroes);
                    return true;
                }
                case OPT_ABORT -> {
                    ack(OPT_ABORT);
                    return false;
                }
                case OPT_LIST -> list(d);
                case OPT_STRUCTURED_REPLY -> structuredReply(d);
                case OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT -> metaContext(opt.option(), d);
                case OPT_INFO, OPT_GO -> {
                    if (infoOrGo(opt.option(), d) && opt.option() == OPT_GO) return true;
                }
                default ->
                    writer.optionError(
                            opt.option(),
                            NbdErrorCode.REP_ERR_UNSUP,
                            "option " + optionName(opt.option()) + " is not supported by this server");
            }
        }
    }

    /** Reads an option; an over-long one is skipped and refused (returns null). */
    private NbdReader.Option readOption() throws IOException {
        long magic = reader.readLong();
        if (magic != IHAVEOPT) throw NbdReader.protocol("option: magic 0x%016x, expected IHAVEOPT", magic);
        int option = reader.readInt();
        long length = reader.readU32();
        if (length > MAX_OPTION_PAYLOAD) {
            reader.skip(length);
            writer.optionError(
                    option,
                    NbdErrorCode.REP_ERR_TOO_BIG,
                    "option payload of " + length + " bytes exceeds " + MAX_OPTION_PAYLOAD);
            return null;
        }
        return new NbdReader.Option(option, reader.readBytes((int) length));
    }

    private void list(byte[] d) throws IOException {
        if (d.length != 0) {
            writer.optionError(
                    OPT_LIST, NbdErrorCode.REP_ERR_INVALID, "NBD_OPT_LIST takes no data, got " + d.length + " bytes");
            return;
        }
        for (String name : server.exportNames()) writer.serverEntry(name);
        ack(OPT_LIST);
    }

    private void structuredReply(byte[] d) throws IOException {
        if (d.length != 0) {
            writer.optionError(
                    OPT_STRUCTURED_REPLY, NbdErrorCode.REP_ERR_INVALID, "NBD_OPT_STRUCTURED_REPLY takes no data");
            return;
        }
        structured = true;
        ack(OPT_STRUCTURED_REPLY);
    }

    /*
     * NBD_OPT_LIST/SET_META_CONTEXT data:
     *   | export name length (u32) | name | query count (u32) | { query length (u32) | query } * n |
     */
    private void metaContext(int option, byte[] d) throws IOException {
        if (!structured) {
            writer.optionError(
                    option, NbdErrorCode.REP_ERR_INVALID, optionName(option) + " needs NBD_OPT_STRUCTURED_REPLY first");
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(d);
        String name = lengthPrefixed(b);
        List<String> queries = new ArrayList<>();
        if (name != null && b.remaining() >= 4) {
            long n = Integer.toUnsignedLong(b.getInt());
            for (long i = 0; i < n && queries != null; i++) {
                String q = lengthPrefixed(b);
                if (q == null) queries = null;
                else queries.add(q);
            }
        } else {
            queries = null;
        }
        if (name == null || queries == null || b.hasRemaining()) {
            writer.optionError(
                    option,
                    NbdErrorCode.REP_ERR_INVALID,
                    optionName(option) + ": malformed data (" + d.length + " bytes)");
            return;
        }
        if (server.export(name) == null) {
            writer.optionError(option, NbdErrorCode.REP_ERR_UNKNOWN, "no export '" + name + "'");
            return;
        }
        boolean list = option == OPT_LIST_META_CONTEXT;
        boolean match = list && queries.isEmpty();
        for (String q : queries) {
            if (q.equals(BASE_ALLOCATION) || (list && q.equals("base:"))) match = true;
        }
        if (list) {
            if (match) writer.metaContext(option, 0, BASE_ALLOCATION); // ids of a list are reserved: 0
        } else {
            contextExport = match ? server.resolveName(name) : null;
            if (match) writer.metaContext(option, BASE_ALLOCATION_ID, BASE_ALLOCATION);
        }
        ack(option);
    }

    /*
     * NBD_OPT_INFO / NBD_OPT_GO data:
     *   | export name length (u32) | name | info request count (u16) | info type (u16) * n |
     */
    /** Returns true when the export exists (GO then enters transmission). */
    private boolean infoOrGo(int option, byte[] d) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(d);
        String name = lengthPrefixed(b);
        boolean wantName = false;
        boolean valid = name != null && b.remaining() >= 2;
        if (valid) {
            int n = Short.toUnsignedInt(b.getShort());
            valid = b.remaining() == 2 * n;
            for (int i = 0; valid && i < n; i++) if (b.getShort() == INFO_NAME) wantName = true;
        }
        if (!valid) {
            writer.optionError(
                    option,
                    NbdErrorCode.REP_ERR_INVALID,
                    optionName(option) + ": malformed data (" + d.length + " bytes)");
            return false;
        }
        NbdExportSource source = server.export(name);
        if (source == null) {
            writer.optionError(
                    option,
                    NbdErrorCode.REP_ERR_UNKNOWN,
                    "no export '" + name + "' (exports: " + server.exportNames() + ")");
            return false;
        }
        String resolved = server.resolveName(name);
        writer.infoExport(option, source.size(), transmissionFlags());
        if (wantName) writer.infoName(option, resolved);
        writer.infoBlockSize(option, 1, source.preferredBlockSize(), MAX_READ);
        ack(option);
        if (option == OPT_GO) choose(resolved);
        return true;
    }

    private boolean choose(String name) {
        NbdExportSource source = server.export(name);
        if (source == null) return false;
        exportName = server.resolveName(name);
        export = source;
        if (contextExport != null && !contextExport.equals(exportName))
            contextExport = null; // contexts were for another export
        return true;
    }

    private int transmissionFlags() {
        return TFLAG_HAS_FLAGS | TFLAG_READ_ONLY | TFLAG_CAN_MULTI_CONN;
    }

    private void ack(int option) throws IOException {
        writer.optionReply(option, REP_ACK, new byte[0]);
    }

    /** A u32-length-prefixed UTF-8 string, or null when it does not fit or is not UTF-8. */
    private static String lengthPrefixed(ByteBuffer b) {
        if (b.remaining() < 4) return null;
        long len = Integer.toUnsignedLong(b.getInt());
        if (len > b.remaining() || len > 4096) return null;
        try {
            String s = string(b.array(), b.position(), (int) len);
            b.position(b.position() + (int) len);
            return s;
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static String string(byte[] d, int off, int len) throws CharacterCodingException {
        return StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(d, off, len))
                .toString();
    }

    // ---- transmission -------------------------------------------------------------------------

    private void transmission() throws IOException {
        LOG.log(Level.DEBUG, "client chose export {0} (structured={1})", exportName, structured);
        while (!shuttingDown) {
            NbdReader.Request r = reader.readRequest();
            switch (r.type()) {
                case CMD_DISC -> {
                    return; // run() waits for requests in flight, then closes
                }
                case CMD_READ -> read(r);
                case CMD_BLOCK_STATUS -> blockStatus(r);
                case CMD_WRITE -> {
                    if (r.length() > MAX_SKIP)
                        throw NbdReader.protocol("write of %d bytes: too large to skip", r.length());
                    reader.skip(r.length());
                    if (r.length() > MAX_READ)
                        error(
                                r,
                                NbdErrorCode.EINVAL,
                                "write of " + r.length() + " bytes exceeds the maximum " + MAX_READ);
                    else error(r, NbdErrorCode.EPERM, "export '" + exportName + "' is read-only");
                }
                case CMD_TRIM, CMD_WRITE_ZEROES ->
                    error(r, NbdErrorCode.EPERM, "export '" + exportName + "' is read-only");
                default -> error(r, NbdErrorCode.EINVAL, "command " + commandName(r.type()) + " is not supported");
            }
        }
    }

    private void read(NbdReader.Request r) throws IOException {
        if (r.length() > MAX_READ) {
            error(r, NbdErrorCode.EINVAL, "read of " + r.length() + " bytes exceeds the maximum " + MAX_READ);
        } else if (!inside(r)) {
            error(r, NbdErrorCode.EINVAL, rangeMessage(r));
        } else {
            int length = (int) r.length();
            submit(r, length, () -> {
                ByteBuffer data = replyBuffer(length);
                export.read(r.offset(), data);
                if (data.hasRemaining())
                    throw new IOException("export read " + data.position() + " of " + length + " bytes");
                data.flip();
                reply(() -> {
                    if (structured) writer.offsetData(r.cookie(), true, r.offset(), data);
                    else writer.simpleReply(0, r.cookie(), data);
                });
            });
        }
    }

    private void blockStatus(NbdReader.Request r) throws IOException {
        if (contextExport == null) {
            error(r, NbdErrorCode.EINVAL, "NBD_CMD_BLOCK_STATUS without a negotiated meta context");
        } else if (r.length() == 0 || !inside(r)) {
            error(r, NbdErrorCode.EINVAL, rangeMessage(r));
        } else {
            submit(r, 0, () -> {
                List<BlockExtent> extents = checked(export.blockStatus(r.offset(), r.length()), r);
                if ((r.flags() & CMD_FLAG_REQ_ONE) != 0) extents = extents.subList(0, 1);
                List<BlockExtent> reply = extents;
                reply(() -> writer.blockStatus(r.cookie(), true, BASE_ALLOCATION_ID, reply));
            });
        }
    }

    /** The source's extents clipped to the request, checked to start at its offset and touch each other. */
    private static List<BlockExtent> checked(List<BlockExtent> extents, NbdReader.Request r) throws IOException {
        long end = r.offset() + r.length();
        List<BlockExtent> out = new ArrayList<>(Math.min(extents.size(), 1024));
        long at = r.offset();
        for (BlockExtent e : extents) {
            if (e.offset() != at) throw new IOException("export returned extent at " + e.offset() + ", expected " + at);
            if (e.end() >= end) {
                out.add(new BlockExtent(e.offset(), end - e.offset(), e.flags()));
                break;
            }
            out.add(e);
            at = e.end();
            if (out.size() == 100_000) break; // a reply stays under 1 MiB; the client asks again
        }
        if (out.isEmpty()) throw new IOException("export returned no extent at " + r.offset());
        return out;
    }

    /** Writing to the client failed: it hung up or was dropped; nothing more to tell it. */
    private static final class ClientGone extends IOException {
        private static final long serialVersionUID = 1L;

        ClientGone(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private interface Work {
        void run() throws IOException;
    }

    /** Runs {@code work} on the pool once a slot of this connection and {@code bytes} of the server's budget are free. */
    private void submit(NbdReader.Request r, int bytes, Work work) throws IOException {
        try {
            slots.acquire();
            server.bytesInFlight().acquire(bytes);
        } catch (InterruptedException e) {
            slots.release();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted waiting to serve a request");
        }
        synchronized (inFlightLock) {
            inFlight++;
        }
        try {
            server.workers().execute(() -> serve(r, bytes, work));
        } catch (RejectedExecutionException e) { // server closing
            done(bytes);
            error(r, NbdErrorCode.ESHUTDOWN, "server is shutting down");
        }
    }

    private void serve(NbdReader.Request r, int bytes, Work work) {
        try {
            if (channel.isOpen()) work.run();
        } catch (ClientGone e) {
            LOG.log(Level.DEBUG, "NBD client on export {0} gone: {1}", exportName, e.getMessage());
        } catch (IOException | RuntimeException e) {
            if (!channel.isOpen()) return;
            LOG.log(
                    Level.WARNING,
                    "NBD " + commandName(r.type()) + " offset=" + r.offset() + " length=" + r.length() + " on export "
                            + exportName + " failed: " + e);
            try {
                error(r, NbdErrorCode.EIO, commandName(r.type()) + " failed: " + e.getMessage());
            } catch (IOException writeFailed) {
                close();
            }
        } finally {
            done(bytes);
        }
    }

    private void done(int bytes) {
        server.bytesInFlight().release(bytes);
        slots.release();
        synchronized (inFlightLock) {
            inFlight--;
            inFlightLock.notifyAll();
        }
    }

    private void awaitIdle() {
        synchronized (inFlightLock) {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (inFlight > 0 && channel.isOpen()) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) return;
                try {
                    inFlightLock.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** An error reply: an error chunk when structured replies were negotiated, else a simple reply. */
    private void error(NbdReader.Request r, NbdErrorCode code, String message) throws IOException {
        reply(() -> {
            if (structured) writer.errorChunk(r.cookie(), true, code.value(), message);
            else writer.simpleReply(code.value(), r.cookie(), null);
        });
    }

    /** Writes one whole reply under the writer lock, with the stall clock running (see {@link #dropIfStalled}). */
    private void reply(Work write) throws IOException {
        synchronized (writer) {
            writingSince = System.nanoTime();
            try {
                write.run();
            } catch (IOException e) {
                close(); // a reply cut short leaves the stream unusable
                throw new ClientGone(e);
            } finally {
                writingSince = 0;
            }
        }
    }

    /**
     * Called by the server's watchdog: a client that stops reading its replies blocks the worker
     * writing to it; after {@code timeoutNanos} the connection is dropped, which frees the worker
     * (the blocked write fails) and the memory budget it held.
     */
    void dropIfStalled(long timeoutNanos) {
        long since = writingSince;
        if (since != 0 && System.nanoTime() - since > timeoutNanos) {
            LOG.log(
                    Level.WARNING,
                    "NBD client on export " + exportName + " has not read its replies for " + timeoutNanos / 1_000_000L
                            + " ms; dropping the connection");
            close();
        }
    }

    /** Reads up to this size reuse their worker's direct buffer; larger ones (rare) get a heap buffer of their own. */
    private static final int REUSED_REPLY_BUFFER = 4 << 20;

    private static final ThreadLocal<ByteBuffer> REPLY_BUFFER = new ThreadLocal<>();

    /**
     * A buffer of {@code length} bytes for a read reply, on a worker thread: the worker's own
     * direct buffer (no garbage per request, no copy into a temporary direct buffer on write),
     * safe because the worker writes the reply before it takes the next request.
     */
    private static ByteBuffer replyBuffer(int length) {
        if (length > REUSED_REPLY_BUFFER) return ByteBuffer.allocate(length);
        ByteBuffer b = REPLY_BUFFER.get();
        if (b == null || b.capacity() < length) {
            b = ByteBuffer.allocateDirect(Math.max(length, Math.min(REUSED_REPLY_BUFFER, 2 << 20)));
            REPLY_BUFFER.set(b);
        }
        return b.clear().limit(length);
    }

    private boolean inside(NbdReader.Request r) {
        return r.offset() >= 0 && r.offset() <= export.size() - r.length();
    }

    private String rangeMessage(NbdReader.Request r) {
        return commandName(r.type()) + " offset=" + r.offset() + " length=" + r.length() + " is outside export '"
                + exportName + "' of size " + export.size();
    }
}
