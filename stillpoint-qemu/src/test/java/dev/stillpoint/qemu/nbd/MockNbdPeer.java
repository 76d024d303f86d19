package dev.stillpoint.qemu.nbd;

import static dev.stillpoint.qemu.nbd.Nbd.*;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A scripted NBD server on a unix socket, in the manner of okhttp's MockHttp2Peer: the test
 * scripts frames to send (with the production {@link NbdWriter}) and frames to accept (read
 * with the production {@link NbdReader}); {@link #play()} runs the script on one connection and
 * {@link #takeFrame()} returns what the client sent, in order.
 */
final class MockNbdPeer implements Closeable {
    interface Send {
        void write(NbdWriter writer) throws IOException;
    }

    private enum Accept {
        CLIENT_FLAGS,
        OPTION,
        REQUEST
    }

    private final List<Object> script = new ArrayList<>();
    private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    private final Path dir;
    private final Path socket;
    private ServerSocketChannel server;
    private Thread thread;
    private volatile Throwable failure;

    MockNbdPeer() throws IOException {
        dir = Files.createTempDirectory("mock-nbd");
        socket = dir.resolve("nbd.sock");
    }

    Path socket() {
        return socket;
    }

    MockNbdPeer send(Send frame) {
        script.add(frame);
        return this;
    }

    MockNbdPeer acceptClientFlags() {
        script.add(Accept.CLIENT_FLAGS);
        return this;
    }

    MockNbdPeer acceptOption() {
        script.add(Accept.OPTION);
        return this;
    }

    MockNbdPeer acceptRequest() {
        script.add(Accept.REQUEST);
        return this;
    }

    /** Scripts the usual qemu negotiation: structured replies, the given contexts, GO. */
    MockNbdPeer handshake(long size, Map<String, Integer> contexts) {
        send(w -> w.greeting(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES)).acceptClientFlags();
        acceptOption().send(w -> w.optionReply(OPT_STRUCTURED_REPLY, REP_ACK, new byte[0]));
        if (!contexts.isEmpty()) {
            acceptOption().send(w -> {
                for (var e : contexts.entrySet()) w.metaContext(OPT_SET_META_CONTEXT, e.getValue(), e.getKey());
                w.optionReply(OPT_SET_META_CONTEXT, REP_ACK, new byte[0]);
            });
        }
        acceptOption().send(w -> {
            w.infoExport(OPT_GO, size, TFLAG_HAS_FLAGS | TFLAG_READ_ONLY);
            w.infoBlockSize(OPT_GO, 1, 4096, 32 << 20);
            w.optionReply(OPT_GO, REP_ACK, new byte[0]);
        });
        return this;
    }

    /** Binds the socket and runs the script on the first connection, in a background thread. */
    void play() throws IOException {
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        thread = new Thread(this::run, "MockNbdPeer");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try (SocketChannel ch = server.accept()) {
            NbdReader reader = new NbdReader(ch);
            NbdWriter writer = new NbdWriter(ch);
            for (Object step : script) {
                if (step instanceof Send s) {
                    s.write(writer);
                } else {
                    received.add(
                            switch ((Accept) step) {
                                case CLIENT_FLAGS -> reader.readClientFlags();
                                case OPTION -> reader.readOption();
                                case REQUEST -> reader.readRequest();
                            });
                }
            }
            ch.read(java.nio.ByteBuffer.allocate(4096)); // wait for the client to hang up (or send more)
        } catch (Throwable t) {
            failure = t;
            received.add(t);
        }
    }

    /** The next frame the client sent (Integer client flags, NbdReader.Option or NbdReader.Request). */
    Object takeFrame() throws InterruptedException {
        Object frame = received.poll(5, TimeUnit.SECONDS);
        if (frame == null) throw new AssertionError("no frame from the client within 5 s");
        if (frame instanceof Throwable t) throw new AssertionError("peer failed: " + t, t);
        return frame;
    }

    NbdReader.Request takeRequest() throws InterruptedException {
        Object f;
        do {
            f = takeFrame();
        } while (!(f instanceof NbdReader.Request));
        return (NbdReader.Request) f;
    }

    Throwable failure() {
        return failure;
    }

    @Override
    public void close() throws IOException {
        if (server != null) server.close();
        try {
            if (thread != null) thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(socket);
        Files.deleteIfExists(dir);
    }
}
