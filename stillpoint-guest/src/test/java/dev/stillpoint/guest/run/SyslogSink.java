package dev.stillpoint.guest.run;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A test syslog socket: a UNIX stream socket that {@code logger -u PATH} falls back to (it tries a datagram
 * first); collects every message as logger sent it ({@code <11>... stillpoint-guest: text}).
 */
final class SyslogSink implements AutoCloseable {
    final Path path;
    private final ServerSocketChannel server;
    private final List<String> messages = new ArrayList<>();
    private final Thread thread;

    SyslogSink(Path path) throws IOException {
        this.path = path;
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        thread = new Thread(this::serve, "syslog-sink");
        thread.setDaemon(true);
        thread.start();
    }

    private void serve() {
        while (server.isOpen()) {
            try (SocketChannel c = server.accept()) {
                ByteBuffer b = ByteBuffer.allocate(65536);
                while (c.read(b) >= 0) {
                    if (!b.hasRemaining()) break;
                }
                b.flip();
                String s = StandardCharsets.UTF_8.decode(b).toString();
                synchronized (messages) {
                    for (String line : s.split("\n")) if (!line.isBlank()) messages.add(line.trim());
                    messages.notifyAll();
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    /** The messages so far, after waiting up to 3 s for at least {@code n}. */
    List<String> await(int n) throws InterruptedException {
        long end = System.currentTimeMillis() + 3000;
        synchronized (messages) {
            while (messages.size() < n && System.currentTimeMillis() < end) messages.wait(100);
            return List.copyOf(messages);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
