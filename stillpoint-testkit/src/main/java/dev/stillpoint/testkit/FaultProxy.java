package dev.stillpoint.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * An HTTP/1.1 proxy on 127.0.0.1 in front of a real S3 server ({@link S3Proxy}) that injects
 * faults by rule: an error status with an S3 error document (500s, 503 SlowDown, 403
 * AccessDenied for a refused delete), a delay before the request is forwarded (a slow
 * server), or an answer cut off after some bytes (a connection lost in the middle of a body). Requests pass through byte for byte (the client's signature stays valid: it covers
 * the {@code Host} the client sent, this proxy's address). One request per connection: every
 * answer says {@code Connection: close}. Bodies with {@code Content-Length} or chunked; an
 * {@code Expect: 100-continue} is answered here (or refused before the body is sent).
 */
public final class FaultProxy implements AutoCloseable {
    /** One request as the rule sees it: method, path (with the bucket, without the query), query or "". */
    public record Request(String method, String path, String query) {
        /** The object key after {@code /bucket/}, or "" for a bucket request. */
        public String key() {
            int s = path.indexOf('/', 1);
            return s < 0 ? "" : path.substring(s + 1);
        }
    }

    /**
     * What to do with a request: forward it after {@code delayMillis}, or answer {@code status}
     * with S3 error {@code code}; a forwarded answer is cut (the connection closed) after
     * {@code cutAfter} bytes, status line and headers included, when that is not negative.
     */
    public record Fault(int status, String code, long delayMillis, long cutAfter) {
        public static final Fault PASS = new Fault(0, null, 0);

        public Fault(int status, String code, long delayMillis) {
            this(status, code, delayMillis, -1);
        }

        /** Forwards the request and closes the connection after {@code bytes} of the answer. */
        public static Fault cut(long bytes) {
            return new Fault(0, null, 0, bytes);
        }

        public static Fault error(int status, String code) {
            return new Fault(status, code, 0);
        }

        public static Fault delay(long millis) {
            return new Fault(0, null, millis);
        }
    }

    /**
     * An append-only key's bucket policy on {@code s3}'s filesystem store: deletes (also
     * multi-object {@code POST ?delete}) and overwrites of existing objects are refused with 403
     * AccessDenied, except under a {@code locks/} prefix.
     */
    public static Function<Request, Fault> appendOnly(S3Proxy s3) {
        return r -> {
            String key = r.key();
            if (key.isEmpty() && !(r.method().equals("POST") && r.query().contains("delete"))) return Fault.PASS;
            if (key.startsWith("locks/") || key.contains("/locks/")) return Fault.PASS;
            if (r.method().equals("DELETE") || r.method().equals("POST")) return Fault.error(403, "AccessDenied");
            if (r.method().equals("PUT")
                    && java.nio.file.Files.exists(s3.dataDir().resolve(r.path().substring(1))))
                return Fault.error(403, "AccessDenied");
            return Fault.PASS;
        };
    }

    private final ServerSocket server;
    private final int upstreamPort;
    private volatile Function<Request, Fault> rule = r -> Fault.PASS;
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private final List<String> injected = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    private FaultProxy(ServerSocket server, int upstreamPort) {
        this.server = server;
        this.upstreamPort = upstreamPort;
        this.acceptor = Thread.ofPlatform().daemon().name("fault-proxy").start(this::accept);
    }

    /** A proxy in front of the S3 server listening on 127.0.0.1:{@code upstreamPort}. */
    public static FaultProxy start(int upstreamPort) throws IOException {
        return new FaultProxy(new ServerSocket(0, 64, InetAddress.getLoopbackAddress()), upstreamPort);
    }

    /** In front of {@code s3}. */
    public static FaultProxy start(S3Proxy s3) throws IOException {
        return start(s3.port());
    }

    public int port() {
        return server.getLocalPort();
    }

    /** {@code s3:http://127.0.0.1:PORT/bucket/prefix} through this proxy. */
    public String location(String bucket, String prefix) {
        return "s3:http://127.0.0.1:" + port() + "/" + bucket + "/" + prefix;
    }

    /** Sets the rule for the next requests (default: everything passes). */
    public void rule(Function<Request, Fault> rule) {
        this.rule = rule;
    }

    /** Back to passing everything, with no requests recorded. */
    public void reset() {
        rule = r -> Fault.PASS;
        seen.clear();
        injected.clear();
    }

    /** Every request so far, as {@code METHOD path}. */
    public List<String> seen() {
        return List.copyOf(seen);
    }

    /** The requests answered with an injected error, as {@code STATUS METHOD path}, or cut off, as {@code cut METHOD path}. */
    public List<String> injected() {
        return List.copyOf(injected);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket c = server.accept();
                Thread.ofVirtual().start(() -> serve(c));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            byte[] head = readHead(in);
            if (head == null) return;
            String text = new String(head, StandardCharsets.ISO_8859_1);
            String[] lines = text.split("\r\n");
            String[] requestLine = lines[0].split(" ");
            String target = requestLine[1];
            int q = target.indexOf('?');
            Request r = new Request(
                    requestLine[0], q < 0 ? target : target.substring(0, q), q < 0 ? "" : target.substring(q + 1));
            seen.add(r.method() + " " + r.path());
            long length = 0;
            boolean chunked = false, expect = false;
            StringBuilder forward = new StringBuilder(lines[0]).append("\r\n");
            for (int i = 1; i < lines.length; i++) {
                String h = lines[i];
                if (h.isEmpty()) continue;
                String lower = h.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:"))
                    length = Long.parseLong(h.substring(h.indexOf(':') + 1).trim());
                if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) chunked = true;
                if (lower.startsWith("expect:") && lower.contains("100-continue")) {
                    expect = true;
                    continue; // answered here
                }
                if (lower.startsWith("connection:")) continue;
                forward.append(h).append("\r\n");
            }
            forward.append("Connection: close\r\n\r\n");
            Fault f = rule.apply(r);
            if (f == null) f = Fault.PASS;
            if (f.delayMillis() > 0) Thread.sleep(f.delayMillis());
            if (f.status() != 0) {
                if (!expect) readBody(in, length, chunked); // the client sends it before it reads the answer
                injected.add(f.status() + " " + r.method() + " " + r.path());
                byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + f.code()
                                + "</Code><Message>injected by FaultProxy</Message><Resource>" + r.path()
                                + "</Resource><RequestId>fault</RequestId></Error>")
                        .getBytes(StandardCharsets.UTF_8);
                boolean noBody = r.method().equals("HEAD");
                out.write(("HTTP/1.1 " + f.status() + " " + f.code() + "\r\nContent-Type: application/xml\r\n"
                                + "Content-Length: " + (noBody ? 0 : body.length) + "\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                if (!noBody) out.write(body);
                out.flush();
                return;
            }
            if (expect) {
                out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
            byte[] body = readBody(in, length, chunked);
            try (Socket up = new Socket(InetAddress.getLoopbackAddress(), upstreamPort)) {
                OutputStream uo = up.getOutputStream();
                uo.write(forward.toString().getBytes(StandardCharsets.ISO_8859_1));
                uo.write(body);
                uo.flush();
                if (f.cutAfter() < 0) {
                    up.getInputStream().transferTo(out); // the server closes after its answer
                } else {
                    out.write(up.getInputStream().readNBytes((int) Math.min(f.cutAfter(), Integer.MAX_VALUE - 8)));
                    injected.add("cut " + r.method() + " " + r.path());
                }
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            // the client went away, or the server did: the client sees a broken connection
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) return null;
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3))
                    ? state + 1
                    : (c == '\r' ? 1 : 0);
        }
        return b.toByteArray();
    }

    /** The request body as sent (a chunked one with its framing, passed on as it is). */
    private static byte[] readBody(InputStream in, long length, boolean chunked) throws IOException {
        if (!chunked) return in.readNBytes((int) length);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            String size = readLine(in, b);
            int semi = size.indexOf(';');
            int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            if (n == 0) {
                while (!readLine(in, b).isEmpty()) {
                    // trailers
                }
                return b.toByteArray();
            }
            b.write(in.readNBytes(n));
            readLine(in, b);
        }
    }

    private static String readLine(InputStream in, ByteArrayOutputStream copy) throws IOException {
        List<Byte> line = new ArrayList<>();
        int c;
        while ((c = in.read()) >= 0) {
            copy.write(c);
            if (c == '\n') break;
            if (c != '\r') line.add((byte) c);
        }
        byte[] a = new byte[line.size()];
        for (int i = 0; i < a.length; i++) a[i] = line.get(i);
        return new String(a, StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
        acceptor.interrupt();
    }
}
