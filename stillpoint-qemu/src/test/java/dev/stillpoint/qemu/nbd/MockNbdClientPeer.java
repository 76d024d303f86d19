package dev.stillpoint.qemu.nbd;

import static dev.stillpoint.qemu.nbd.Nbd.*;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A scripted NBD client for the server tests: sends exactly the frames a test names, with the
 * production {@link NbdWriter}, and reads the server's frames with the production
 * {@link NbdReader} (the mirror of {@link MockNbdPeer}, which plays a server for the client).
 */
final class MockNbdClientPeer implements Closeable {
    final SocketChannel channel;
    final NbdReader reader;
    final NbdWriter writer;

    private MockNbdClientPeer(SocketChannel channel) {
        this.channel = channel;
        this.reader = new NbdReader(channel);
        this.writer = new NbdWriter(channel);
    }

    static MockNbdClientPeer connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return new MockNbdClientPeer(ch);
    }

    /** Reads the greeting and sends {@code clientFlags}; returns the server's handshake flags. */
    int greet(int clientFlags) throws IOException {
        int flags = reader.readGreeting();
        writer.clientFlags(clientFlags);
        return flags;
    }

    /** Sends an option and reads replies up to and including the first ACK or error. */
    List<NbdReader.OptionReply> option(int option, byte[] data) throws IOException {
        writer.option(option, data);
        return replies();
    }

    List<NbdReader.OptionReply> replies() throws IOException {
        List<NbdReader.OptionReply> out = new ArrayList<>();
        while (true) {
            NbdReader.OptionReply r = reader.readOptionReply();
            out.add(r);
            if (r.type() == REP_ACK || r.isError()) return out;
        }
    }

    /** Fixed newstyle + NO_ZEROES, optionally structured replies and base:allocation, then GO on {@code export}. */
    MockNbdClientPeer open(String export, boolean structured, boolean allocation) throws IOException {
        greet(CLIENT_FLAG_FIXED_NEWSTYLE | CLIENT_FLAG_NO_ZEROES);
        if (structured) option(OPT_STRUCTURED_REPLY, new byte[0]);
        if (allocation) option(OPT_SET_META_CONTEXT, NbdWriter.metaContextPayload(export, List.of(BASE_ALLOCATION)));
        List<NbdReader.OptionReply> go = option(OPT_GO, NbdWriter.goPayload(export));
        if (go.getLast().isError()) throw new IOException("GO refused: " + go.getLast());
        return this;
    }

    void request(int type, long cookie, long offset, long length) throws IOException {
        writer.request(0, type, cookie, offset, length);
    }

    /** A whole reply to one request: simple (data read for {@code readLength}) or every chunk up to DONE. */
    Reply reply(int readLength) throws IOException {
        NbdReader.ReplyHeader h = reader.readReplyHeader();
        if (!h.structured()) {
            byte[] data = h.error() == 0 && readLength > 0 ? reader.readBytes(readLength) : new byte[0];
            return new Reply(h.cookie(), h.error(), data, List.of(), null);
        }
        long cookie = h.cookie();
        ByteBuffer data = null;
        List<long[]> extents = new ArrayList<>();
        int error = 0;
        String message = null;
        while (true) {
            if (h.cookie() != cookie)
                throw new AssertionError("chunks of cookies " + cookie + " and " + h.cookie() + " interleaved");
            switch (h.type()) {
                case REPLY_TYPE_OFFSET_DATA -> {
                    long offset = reader.readLong();
                    byte[] d = reader.readBytes((int) (h.length() - 8));
                    if (data == null) data = ByteBuffer.allocate(readLength);
                    data.put(data.position(), d); // chunks of one read arrive in order here (one chunk)
                    if (offset < 0) throw new AssertionError("offset " + offset);
                }
                case REPLY_TYPE_BLOCK_STATUS ->
                    extents.addAll(reader.readBlockStatusPayload(h.length()).descriptors());
                case REPLY_TYPE_ERROR, REPLY_TYPE_ERROR_OFFSET -> {
                    NbdReader.ErrorChunk e = reader.readErrorPayload(h.type(), h.length());
                    error = e.error();
                    message = e.message();
                }
                case REPLY_TYPE_NONE -> {}
                default -> throw new AssertionError("unexpected chunk type " + h.type());
            }
            if (h.done()) break;
            h = reader.readReplyHeader();
        }
        return new Reply(cookie, error, data == null ? new byte[0] : data.array(), extents, message);
    }

    /** True when the server closed the connection (reads EOF within 5 s). */
    boolean closedByServer() throws Exception {
        var eof = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return channel.read(ByteBuffer.allocate(1)) < 0;
            } catch (IOException e) {
                return true; // reset by peer
            }
        });
        try {
            return eof.get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** One reply: data of a read, {length, flags} extents of a block status, or an errno. */
    record Reply(long cookie, int error, byte[] data, List<long[]> extents, String message) {}
}
