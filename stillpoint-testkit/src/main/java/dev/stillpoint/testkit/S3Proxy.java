package dev.stillpoint.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real S3 server for tests and the benchmark: {@code org.gaul:s3proxy} with its filesystem
 * store, as its own process on 127.0.0.1 (a bucket is a directory under {@link #dataDir()}).
 * The jars are fetched by Maven on first use ({@code stillpoint-testkit/s3proxy/pom.xml},
 * {@code dependency:copy-dependencies}) into {@code ~/.cache/stillpoint/s3proxy-2.6.0/lib} (or
 * {@code $STILLPOINT_S3PROXY_LIB}); later runs need no network. Credentials:
 * {@link #ACCESS_KEY}/{@link #SECRET_KEY}, signature v2 or v4.
 */
public final class S3Proxy implements AutoCloseable {
    public static final String VERSION = "2.6.0";
    public static final String ACCESS_KEY = "stillpoint-test";
    public static final String SECRET_KEY = "stillpoint-test-secret";

    /** Warnings and errors only, on the console (the log file). */
    public static final String LOGBACK = String.join(
            "\n",
            "<configuration>",
            "  <appender name=\"OUT\" class=\"ch.qos.logback.core.ConsoleAppender\">",
            "    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n</pattern></encoder>",
            "  </appender>",
            "  <root level=\"WARN\"><appender-ref ref=\"OUT\"/></root>",
            "</configuration>",
            "");

    private final Process process;
    private final int port;
    private final Path dataDir;
    private final Path log;

    private S3Proxy(Process process, int port, Path dataDir, Path log) {
        this.process = process;
        this.port = port;
        this.dataDir = dataDir;
        this.log = log;
    }

    /** Starts a server storing into {@code work/data} (its properties and log in {@code work}). */
    public static S3Proxy start(Path work) throws Exception {
        Path lib = libDir();
        Path data = Files.createDirectories(work.resolve("data"));
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path props = work.resolve("s3proxy.properties");
        Files.writeString(
                props,
                String.join(
                        "\n",
                        "s3proxy.endpoint=http://127.0.0.1:" + port,
                        "s3proxy.authorization=aws-v2-or-v4",
                        "s3proxy.identity=" + ACCESS_KEY,
                        "s3proxy.credential=" + SECRET_KEY,
                        "jclouds.provider=filesystem",
                        "jclouds.identity=" + ACCESS_KEY,
                        "jclouds.credential=" + SECRET_KEY,
                        "jclouds.filesystem.basedir=" + data.toAbsolutePath(),
                        ""));
        Path log = work.resolve("s3proxy.log");
        // the jar has no logback.xml: logback's default is DEBUG of every Jetty event, which costs
        // the server most of its CPU (and every measurement made against it)
        Path logback = work.resolve("s3proxy-logback.xml");
        Files.writeString(logback, LOGBACK);
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(
                        java,
                        "-Xmx256m",
                        "-Dlogback.configurationFile=" + logback.toAbsolutePath(),
                        "-cp",
                        lib.toAbsolutePath() + "/*",
                        "org.gaul.s3proxy.Main",
                        "--properties",
                        props.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        S3Proxy s3 = new S3Proxy(p, port, data, log);
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (true) {
            if (!p.isAlive()) throw new IllegalStateException("s3proxy exited " + p.exitValue() + ": " + s3.logTail());
            try (Socket sock = new Socket()) {
                sock.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return s3;
            } catch (IOException e) {
                if (Instant.now().isAfter(deadline)) {
                    s3.close();
                    throw new IllegalStateException(
                            "s3proxy did not listen on " + port + " within 60 s: " + s3.logTail());
                }
                Thread.sleep(100);
            }
        }
    }

    /** The directory holding the jars, fetched by Maven when missing. */
    public static synchronized Path libDir() throws Exception {
        String env = System.getenv("STILLPOINT_S3PROXY_LIB");
        Path lib = env != null && !env.isEmpty()
                ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "stillpoint", "s3proxy-" + VERSION, "lib");
        if (Files.exists(lib.resolve("s3proxy-" + VERSION + ".jar"))) return lib;
        Path root = projectRoot();
        Path pom = root.resolve("stillpoint-testkit/s3proxy/pom.xml");
        List<String> cmd = new ArrayList<>(List.of(
                root.resolve("mvnw").toString(),
                "-B",
                "-ntp",
                "-q",
                "-o",
                "-f",
                pom.toString(),
                "dependency:copy-dependencies",
                "-DoutputDirectory=" + lib.toAbsolutePath()));
        if (run(cmd, root) != 0) { // not in the local Maven repository yet: fetch from Maven Central
            cmd.remove("-o");
            int rc = run(cmd, root);
            if (rc != 0)
                throw new IllegalStateException("fetching org.gaul:s3proxy:" + VERSION + " failed ("
                        + String.join(" ", cmd) + " exited " + rc + ")");
        }
        if (!Files.exists(lib.resolve("s3proxy-" + VERSION + ".jar")))
            throw new IllegalStateException("no s3proxy jar in " + lib + " after fetching it");
        return lib;
    }

    private static int run(List<String> cmd, Path dir) throws Exception {
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    /** The checkout's root: the nearest directory upwards from the working directory that holds {@code mvnw}. */
    private static Path projectRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isExecutable(d.resolve("mvnw")) && Files.exists(d.resolve("stillpoint-testkit"))) return d;
        }
        throw new IllegalStateException("cannot find the Stillpoint checkout (mvnw) above "
                + Path.of("").toAbsolutePath());
    }

    /** The port on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT}. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** The repository location {@code s3:http://127.0.0.1:PORT/BUCKET/PREFIX}. */
    public String location(String bucket, String prefix) {
        return "s3:" + endpoint() + "/" + bucket + (prefix == null || prefix.isEmpty() ? "" : "/" + prefix);
    }

    /** Where the buckets live (one directory each). */
    public Path dataDir() {
        return dataDir;
    }

    /** Creates {@code bucket} (a directory of the filesystem store). */
    public void createBucket(String bucket) throws IOException {
        Files.createDirectories(dataDir.resolve(bucket));
    }

    /** The environment a client needs: the credentials and a region. */
    public Map<String, String> env() {
        return Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY, "AWS_REGION", "us-east-1");
    }

    /** The same for this JVM (the AWS SDK reads these system properties first). */
    public void useInThisJvm() {
        System.setProperty("aws.accessKeyId", ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", SECRET_KEY);
        System.setProperty("aws.region", "us-east-1");
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String logTail() {
        try {
            String s = Files.readString(log, StandardCharsets.UTF_8);
            return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    }
}
