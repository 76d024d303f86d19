package dev.stillpoint.qemu.nbd;

import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A read-only NBD server: serves {@link NbdExportSource}s by name to any number of clients on unix
 * sockets and TCP listeners (fixed newstyle handshake, structured replies, {@code base:allocation}
 * block status; see {@code package-info.java}).
 *
 * <pre>{@code
 * try (NbdServer server = NbdServer.builder().export("vda", source).build()) {
 *     server.listen(UnixDomainSocketAddress.of(socket));
 *     server.awaitClose();
 * }
 * }</pre>
 *
 * <p>Requests run on a bounded worker pool ({@link Builder#workers}); the bytes of reads in flight
 * over all connections are bounded ({@link Builder#maxBytesInFlight}), so memory does not grow
 * with the number or the greed of clients. A client that breaks the protocol or hangs up loses its
 * own connection only.
 */
public final class NbdServer implements Closeable {
    static final System.Logger LOG = System.getLogger("dev.stillpoint.qemu.nbd.server");

    private final Map<String, NbdExportSource> exports;
    private final ExecutorService workers;
    private final Semaphore bytesInFlight;
    private final int maxRequestsPerConnection;
    private final int maxConnections;
    private final long writeTimeoutNanos;
    private final java.util.concurrent.ScheduledExecutorService watchdog;
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final List<Path> socketFiles = new ArrayList<>();
    private final Set<NbdServerConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final Object closeLock = new Object();
    private final String defaultExport;
    private volatile boolean closed;

    private NbdServer(Builder b) {
        this.exports = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.exports));
        this.workers =
                new ThreadPoolExecutor(b.workers, b.workers, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "nbd-server-worker");
                    t.setDaemon(true);
                    return t;
                });
        this.bytesInFlight = new Semaphore(b.maxBytesInFlight);
        this.maxRequestsPerConnection = b.maxRequestsPerConnection;
        this.maxConnections = b.maxConnections;
        this.writeTimeoutNanos = b.writeTimeout.toNanos();
        this.watchdog = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "nbd-server-watchdog");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(10, Math.min(1000, b.writeTimeout.toMillis() / 4));
        watchdog.scheduleWithFixedDelay(
                () -> {
                    for (NbdServerConnection c : connections) c.dropIfStalled(writeTimeoutNanos);
                },
                period,
                period,
                TimeUnit.MILLISECONDS);
        this.defaultExport = b.exports.keySet().iterator().next();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds {@code address} (a {@link UnixDomainSocketAddress} or an {@link InetSocketAddress}) and
     * accepts clients on a background thread until {@link #close()}. Returns the bound address (the
     * real port for port 0). A unix socket file is removed again by {@link #close()}.
     */
    public SocketAddress listen(SocketAddress address) throws IOException {
        Objects.requireNonNull(address, "address");
        ServerSocketChannel server;
        if (address instanceof UnixDomainSocketAddress) server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        else if (address instanceof InetSocketAddress) server = ServerSocketChannel.open();
        else throw new IllegalArgumentException("address must be a unix or inet socket address, got " + address);
        try {
            server.bind(address, 64);
        } catch (IOException e) {
            server.close();
            throw new IOException("cannot listen on " + address + ": " + e.getMessage(), e);
        }
        synchronized (closeLock) {
            if (closed) {
                server.close();
                throw new IllegalStateException("server is closed");
            }
            listeners.add(server);
            if (address instanceof UnixDomainSocketAddress u) socketFiles.add(u.getPath());
        }
        SocketAddress bound = server.getLocalAddress();
        Thread t = new Thread(() -> acceptLoop(server), "nbd-server-accept " + bound);
        t.setDaemon(true);
        t.start();
        LOG.log(Level.DEBUG, "listening on {0}", bound);
        return bound;
    }

    /** The export names, in the order they were added (the first is the default export, name ""). */
    public Set<String> exportNames() {
        return exports.keySet();
    }

    /** Connections open now. */
    public int openConnections() {
        return connections.size();
    }

    /** Connections accepted since the start. */
    public int acceptedConnections() {
        return accepted.get();
    }

    /** Blocks until {@link #close()} has been called (by another thread or a shutdown hook). */
    public void awaitClose() throws InterruptedException {
        synchronized (closeLock) {
            while (!closed) closeLock.wait();
        }
    }

    /**
     * Stops listening, removes unix socket files, lets requests in flight finish (up to 5 s) and
     * closes every connection. Idempotent.
     */
    @Override
    public void close() throws IOException {
        synchronized (closeLock) {
            if (closed) return;
            closed = true;
            closeLock.notifyAll();
        }
        for (ServerSocketChannel s : listeners) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        for (Path p : socketFiles) Files.deleteIfExists(p);
        for (NbdServerConnection c : connections) c.shutdown();
        watchdog.shutdownNow();
        workers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdownNow();
        for (NbdServerConnection c : connections) c.close();
    }

    private void acceptLoop(ServerSocketChannel server) {
        while (!closed) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (closed) return;
                LOG.log(Level.WARNING, "accept on " + server + " failed: " + e.getMessage());
                sleepQuietly();
                continue;
            }
            accepted.incrementAndGet();
            if (connections.size() >= maxConnections) {
                LOG.log(
                        Level.WARNING,
                        "NBD server has " + connections.size() + " connections, the most it takes; refusing one more");
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // refused anyway
                }
                continue;
            }
            NbdServerConnection c = new NbdServerConnection(ch, this);
            connections.add(c);
            if (closed) {
                c.close();
                connections.remove(c);
                return;
            }
            Thread.ofVirtual().name("nbd-server-conn-" + accepted.get()).start(() -> {
                try {
                    c.run();
                } finally {
                    connections.remove(c);
                }
            });
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- for connections ----------------------------------------------------------------------

    /** The export for {@code name}; "" names the first export. Null when unknown. */
    NbdExportSource export(String name) {
        return exports.get(name.isEmpty() ? defaultExport : name);
    }

    String resolveName(String name) {
        return name.isEmpty() ? defaultExport : name;
    }

    ExecutorService workers() {
        return workers;
    }

    Semaphore bytesInFlight() {
        return bytesInFlight;
    }

    int maxRequestsPerConnection() {
        return maxRequestsPerConnection;
    }

    boolean closed() {
        return closed;
    }

    /** Builds an {@link NbdServer}; at least one export. */
    public static final class Builder {
        private final Map<String, NbdExportSource> exports = new LinkedHashMap<>();
        private int workers = Math.max(4, Runtime.getRuntime().availableProcessors());
        private int maxBytesInFlight = 64 << 20;
        private int maxRequestsPerConnection = 16;
        private int maxConnections = 256;
        private java.time.Duration writeTimeout = java.time.Duration.ofSeconds(60);

        private Builder() {}

        /** Serves {@code source} as {@code name} (UTF-8, 1..4096 bytes, unique). */
        public Builder export(String name, NbdExportSource source) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(source, "source");
            int bytes = name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (bytes == 0 || bytes > 4096)
                throw new IllegalArgumentException("export name must be 1..4096 bytes of UTF-8, got '" + name + "'");
            if (exports.containsKey(name))
                throw new IllegalArgumentException("export name '" + name + "' is given twice");
            if (source.size() < 0)
                throw new IllegalArgumentException("export '" + name + "': size must be >= 0, got " + source.size());
            exports.put(name, source);
            return this;
        }

        /** Threads that run requests for all connections (default max(4, cores)). */
        public Builder workers(int n) {
            if (n < 1 || n > 256) throw new IllegalArgumentException("workers must be 1..256, got " + n);
            workers = n;
            return this;
        }

        /** Bytes of read replies held in memory at once over all connections (default 64 MiB, at least 32 MiB: one largest read). */
        public Builder maxBytesInFlight(int bytes) {
            if (bytes < Nbd.MAX_READ)
                throw new IllegalArgumentException("maxBytesInFlight must be >= " + Nbd.MAX_READ + ", got " + bytes);
            maxBytesInFlight = bytes;
            return this;
        }

        /** Requests of one connection being served at once; more wait in the socket (default 16). */
        public Builder maxRequestsPerConnection(int n) {
            if (n < 1 || n > 1024)
                throw new IllegalArgumentException("maxRequestsPerConnection must be 1..1024, got " + n);
            maxRequestsPerConnection = n;
            return this;
        }

        /** Connections open at once; one more is closed as soon as it is accepted (default 256). */
        public Builder maxConnections(int n) {
            if (n < 1 || n > 65536) throw new IllegalArgumentException("maxConnections must be 1..65536, got " + n);
            maxConnections = n;
            return this;
        }

        /** A client that does not read a reply for this long is dropped (default 60 s). */
        public Builder writeTimeout(java.time.Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero())
                throw new IllegalArgumentException("writeTimeout must be > 0, got " + timeout);
            writeTimeout = timeout;
            return this;
        }

        public NbdServer build() {
            if (exports.isEmpty()) throw new IllegalStateException("an NBD server needs at least one export");
            return new NbdServer(this);
        }
    }
}
