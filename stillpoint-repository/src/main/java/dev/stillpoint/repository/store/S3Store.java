package dev.stillpoint.repository.store;

import dev.stillpoint.repository.RepositoryException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.auth.aws.scheme.AwsV4AuthScheme;
import software.amazon.awssdk.http.auth.spi.scheme.AuthScheme;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.identity.spi.IdentityProviders;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A repository in an S3 bucket (AWS, Ceph RGW, MinIO, Garage, s3proxy):
 * {@code s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]}, or {@code s3:HOST/BUCKET[/PREFIX]} for
 * https. Objects are {@code PREFIX/<name>} with the local layout's names. Addressing is
 * path-style ({@code HOST/BUCKET/key}) except on {@code *.amazonaws.com}, where it is
 * virtual-host ({@code BUCKET.HOST/key}); {@code STILLPOINT_S3_BUCKET_LOOKUP=path|dns} chooses.
 * Credentials and region come from the AWS SDK's standard chains (environment
 * {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, {@code AWS_PROFILE} and
 * {@code ~/.aws}, container and instance roles; region from an AWS host name, else
 * {@code AWS_REGION} or the profile, else {@code us-east-1}: see {@link #region}).
 *
 * <p>Requests are signed with SigV4 but their bodies are not ({@code UNSIGNED-PAYLOAD}), over
 * http as over https ({@link UnsignedPayloadSigner}: the repository authenticates every object
 * itself; {@code STILLPOINT_S3_SIGN_PAYLOAD=true} signs them).
 *
 * <p>Puts are single requests, which S3 makes atomic; put-once asks {@code HEAD} first (the
 * repository's names are content hashes, so two writers racing on a name write the same bytes).
 * A pack is spooled to an unlinked temp file ({@code java.io.tmpdir}, {@link UploadSpool}) and
 * sent from there, so memory stays bounded and a killed process leaves no file behind. Every request is retried on connection errors, 5xx and throttling with exponential
 * backoff ({@link #ATTEMPTS} attempts from {@link #FIRST_BACKOFF}); then the error names the
 * store, the request and the object ({@code UNAVAILABLE}). A refused request (401/403: wrong
 * credentials, or a key that may not do this, e.g. an append-only key asked to delete) is
 * {@code ACCESS_DENIED}, a missing bucket {@code NOT_FOUND}, a malformed location
 * {@code INVALID_ARGUMENT}.
 */
public final class S3Store implements Store {
    /** Attempts per request (system property {@code stillpoint.s3.attempts}, read when a store opens). */
    static final int ATTEMPTS = 6;
    /** The first retry's delay; each next one doubles, up to 10 s ({@code stillpoint.s3.backoffMillis}). */
    static final Duration FIRST_BACKOFF = Duration.ofMillis(200);

    private final int attempts = Integer.getInteger("stillpoint.s3.attempts", ATTEMPTS);
    private final long firstBackoff = Long.getLong("stillpoint.s3.backoffMillis", FIRST_BACKOFF.toMillis());

    private final String location;
    private final String bucket;
    private final String prefix;
    private final S3Client s3;

    private S3Store(String location, String bucket, String prefix, S3Client s3) {
        this.location = location;
        this.bucket = bucket;
        this.prefix = prefix;
        this.s3 = s3;
    }

    /** Parses {@code location} and connects (lazily: the first request reports an unreachable endpoint). */
    public static S3Store open(String location) throws RepositoryException {
        if (!location.startsWith("s3:")) throw bad(location, "does not start with s3:");
        String rest = location.substring(3);
        if (!rest.startsWith("http://") && !rest.startsWith("https://")) rest = "https://" + rest;
        URI uri;
        try {
            uri = new URI(rest);
        } catch (java.net.URISyntaxException e) {
            throw bad(location, e.getMessage());
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) throw bad(location, "no host");
        if (uri.getQuery() != null || uri.getFragment() != null || uri.getUserInfo() != null)
            throw bad(location, "no query, fragment or user part allowed");
        String path = uri.getPath() == null ? "" : uri.getPath().replaceAll("^/+|/+$", "");
        if (path.isEmpty()) throw bad(location, "no bucket (s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX])");
        int slash = path.indexOf('/');
        String bucket = slash < 0 ? path : path.substring(0, slash);
        String prefix = slash < 0 ? "" : path.substring(slash + 1).replaceAll("/+", "/") + "/";
        if (!bucket.matches("[a-z0-9][a-z0-9.\\-_]{1,62}"))
            throw bad(location, "bucket '" + bucket + "' is not a valid bucket name");
        String lookup = System.getenv()
                .getOrDefault("STILLPOINT_S3_BUCKET_LOOKUP", System.getProperty("stillpoint.s3.bucketLookup", "auto"))
                .toLowerCase(Locale.ROOT);
        boolean pathStyle = switch (lookup) {
            case "path" -> true;
            case "dns" -> false;
            case "auto" -> !uri.getHost().endsWith(".amazonaws.com");
            default -> throw bad(location, "STILLPOINT_S3_BUCKET_LOOKUP=" + lookup + " (path, dns or auto)");
        };
        URI endpoint =
                URI.create(uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()));
        S3Client client = S3Client.builder()
                .endpointOverride(endpoint)
                .forcePathStyle(pathStyle)
                .region(region(uri.getHost()))
                .credentialsProvider(DefaultCredentialsProvider.builder().build())
                // third-party servers do not all know the SDK's newer default checksums; a bucket
                // with Object Lock wants one on every PUT (STILLPOINT_S3_CHECKSUMS=always)
                .requestChecksumCalculation(
                        "always"
                                        .equals(System.getenv()
                                                .getOrDefault(
                                                        "STILLPOINT_S3_CHECKSUMS",
                                                        System.getProperty("stillpoint.s3.checksums", "")))
                                ? RequestChecksumCalculation.WHEN_SUPPORTED
                                : RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(ApacheHttpClient.builder()
                        .maxConnections(64)
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofMillis(Long.getLong("stillpoint.s3.socketTimeoutMillis", 60_000))))
                .overrideConfiguration(
                        o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())) // ours below: it names the object
                .applyMutation(b -> {
                    if (!flag("STILLPOINT_S3_SIGN_PAYLOAD", "stillpoint.s3.signPayload"))
                        b.putAuthScheme(sigV4UnsignedPayload());
                })
                .build();
        return new S3Store(location, bucket, prefix, client);
    }

    /** SigV4 whose http bodies go unsigned too ({@link UnsignedPayloadSigner}). */
    private static AuthScheme<AwsCredentialsIdentity> sigV4UnsignedPayload() {
        AwsV4AuthScheme v4 = AwsV4AuthScheme.create();
        HttpSigner<AwsCredentialsIdentity> signer = new UnsignedPayloadSigner(v4.signer());
        return new AuthScheme<>() {
            @Override
            public String schemeId() {
                return v4.schemeId();
            }

            @Override
            public IdentityProvider<AwsCredentialsIdentity> identityProvider(IdentityProviders providers) {
                return v4.identityProvider(providers);
            }

            @Override
            public HttpSigner<AwsCredentialsIdentity> signer() {
                return signer;
            }
        };
    }

    /** True when environment variable {@code env} or system property {@code property} is {@code true}. */
    private static boolean flag(String env, String property) {
        return Boolean.parseBoolean(System.getenv().getOrDefault(env, System.getProperty(property, "false")));
    }

    /**
     * The signing region: an AWS host names it ({@code s3.eu-west-1.amazonaws.com}); otherwise
     * {@code aws.region} / {@code AWS_REGION}, then the profile's; then, only for an AWS host, the
     * rest of the SDK's chain (instance metadata); else {@code us-east-1}. Another server is
     * never made to wait for the instance-metadata probe (measured: 1.6 s per command without
     * {@code AWS_REGION}).
     */
    static Region region(String host) {
        String named = regionOfAwsHost(host);
        if (named != null) return Region.of(named);
        boolean aws = host.endsWith(".amazonaws.com");
        try {
            return aws
                    ? new DefaultAwsRegionProviderChain().getRegion()
                    : new AwsRegionProviderChain(new SystemSettingsRegionProvider(), new AwsProfileRegionProvider())
                            .getRegion();
        } catch (SdkClientException e) {
            return Region.US_EAST_1;
        }
    }

    private static final java.util.regex.Pattern AWS_REGIONAL_HOST = java.util.regex.Pattern.compile(
            "(?:^|.*\\.)s3[.-](?:dualstack\\.)?([a-z]{2}(?:-[a-z]+)+-\\d+)\\.amazonaws\\.com");

    /** The region an AWS S3 host names ({@code s3.REGION.amazonaws.com}, {@code s3-REGION...}, {@code s3.dualstack.REGION...}), or null. */
    static String regionOfAwsHost(String host) {
        java.util.regex.Matcher m = AWS_REGIONAL_HOST.matcher(host.toLowerCase(Locale.ROOT));
        return m.matches() ? m.group(1) : null;
    }

    private static RepositoryException bad(String location, String why) {
        return new RepositoryException(
                RepositoryException.Code.INVALID_ARGUMENT,
                "--repo " + location + ": not a valid S3 location (" + why
                        + "); expected s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]");
    }

    @Override
    public String location() {
        return location;
    }

    private String key(String name) {
        return prefix + name;
    }

    @FunctionalInterface
    private interface Call<T> {
        T run() throws IOException;
    }

    /**
     * Runs one request with retries: connection errors, 5xx, 429 and request timeouts back off
     * exponentially; a missing key is {@link NoSuchFileException}; everything else fails at once.
     */
    private <T> T call(String op, String name, Call<T> c) throws IOException {
        long backoff = firstBackoff;
        for (int attempt = 1; ; attempt++) {
            try {
                return c.run();
            } catch (NoSuchKeyException e) {
                throw new NoSuchFileException(location + ": " + name);
            } catch (NoSuchBucketException e) {
                throw noBucket(e);
            } catch (S3Exception e) {
                int s = e.statusCode();
                String code =
                        e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
                if ("NoSuchBucket".equals(code)) throw noBucket(e);
                if (s == 404 && !"list".equals(op)) throw new NoSuchFileException(location + ": " + name);
                if (s == 403 || s == 401) throw denied(op, name, s + " " + code, e);
                boolean transientStatus = s >= 500 || s == 429 || s == 408;
                if (!transientStatus)
                    throw new RepositoryException(
                            RepositoryException.Code.IO_ERROR,
                            location + ": " + op + " " + name + " failed: " + s + " " + code + ": " + e.getMessage(),
                            e);
                if (attempt >= attempts) throw failed(op, name, attempt, s + " " + code + ": " + e.getMessage(), e);
            } catch (SdkClientException | java.io.UncheckedIOException e) {
                if (attempt >= attempts) throw failed(op, name, attempt, e.getMessage(), e);
            } catch (IOException e) {
                if (e instanceof RepositoryException
                        || e instanceof NoSuchFileException
                        || e instanceof InterruptedIOException) throw e;
                if (attempt >= attempts) throw failed(op, name, attempt, e.toString(), e);
            } catch (SdkException e) {
                throw failed(op, name, attempt, e.getMessage(), e);
            }
            try {
                Thread.sleep(backoff
                        + java.util.concurrent.ThreadLocalRandom.current().nextLong(backoff / 2 + 1));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(location + ": " + op + " " + name + " interrupted");
            }
            backoff = Math.min(backoff * 2, 10_000);
        }
    }

    private RepositoryException noBucket(Exception e) {
        return new RepositoryException(
                RepositoryException.Code.NOT_FOUND,
                location + ": bucket " + bucket + " does not exist (create it first, e.g. aws s3 mb s3://" + bucket
                        + ")",
                e);
    }

    /** ACCESS_DENIED naming the request: wrong credentials, or a key without the permission (append-only, Object Lock). */
    private RepositoryException denied(String op, String name, String status, Exception e) {
        String why = status.contains("InvalidAccessKeyId") || status.contains("SignatureDoesNotMatch")
                ? "the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE) are wrong"
                : "the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE) are wrong or not allowed to "
                        + op + " " + name + " in bucket " + bucket
                        + (op.equals("DELETE") || op.equals("PUT")
                                ? " (an append-only key, a bucket policy or Object Lock; forget and prune need a key that may delete)"
                                : "");
        return new RepositoryException(
                RepositoryException.Code.ACCESS_DENIED,
                location + ": " + op + " " + name + " refused (" + status + "): " + why,
                e);
    }

    private IOException failed(String op, String name, int attempts, String why, Exception e) {
        return new RepositoryException(
                RepositoryException.Code.UNAVAILABLE,
                location + ": " + op + " " + name + " failed after " + attempts
                        + (attempts == 1 ? " attempt: " : " attempts: ") + why,
                e);
    }

    @Override
    public void put(String name, byte[] data) throws IOException {
        if (stat(name) != null)
            throw new RepositoryException(
                    RepositoryException.Code.ALREADY_EXISTS, location + ": " + name + " already exists");
        replace(name, data);
    }

    @Override
    public void replace(String name, byte[] data) throws IOException {
        call(
                "PUT",
                name,
                () -> s3.putObject(
                        b -> b.bucket(bucket).key(key(name)).contentLength((long) data.length),
                        RequestBody.fromBytes(data)));
    }

    @Override
    public Upload upload() throws IOException {
        UploadSpool buf = new UploadSpool(Path.of(System.getProperty("java.io.tmpdir")));
        return new Upload() {
            @Override
            public void write(byte[] b, int off, int len, long at) throws IOException {
                buf.write(b, off, len, at);
            }

            @Override
            public boolean commit(String name, long length) throws IOException {
                try {
                    if (stat(name) != null) return false;
                    call(
                            "PUT",
                            name,
                            () -> s3.putObject(
                                    b -> b.bucket(bucket).key(key(name)).contentLength(length),
                                    RequestBody.fromContentProvider(
                                            () -> buf.open(length), length, "application/octet-stream")));
                    return true;
                } finally {
                    close();
                }
            }

            @Override
            public void close() {
                buf.close();
            }
        };
    }

    @Override
    public byte[] get(String name) throws IOException {
        return call(
                "GET",
                name,
                () -> s3.getObjectAsBytes(b -> b.bucket(bucket).key(key(name))).asByteArray());
    }

    @Override
    public int read(String name, long offset, byte[] dst, int off, int len) throws IOException {
        if (len == 0) return 0;
        return call("GET", name, () -> {
            try (ResponseInputStream<GetObjectResponse> in = s3.getObject(
                    b -> b.bucket(bucket).key(key(name)).range("bytes=" + offset + "-" + (offset + len - 1)))) {
                return in.readNBytes(dst, off, len);
            } catch (S3Exception e) {
                if (e.statusCode() == 416) return 0; // range starts at or past the end
                throw e;
            }
        });
    }

    /** Per-thread buffer of {@link #copyTo}: below G1's humongous size, so a download makes no large garbage. */
    private static final ThreadLocal<byte[]> COPY_BUFFER = ThreadLocal.withInitial(() -> new byte[256 << 10]);

    /** One streamed GET; a retry asks for the rest from where the last attempt stopped. */
    @Override
    public long copyTo(String name, FileChannel out) throws IOException {
        long[] pos = {0};
        long[] size = {-1};
        return call("GET", name, () -> {
            long from = pos[0];
            try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> {
                b.bucket(bucket).key(key(name));
                if (from > 0) b.range("bytes=" + from + "-");
            })) {
                if (size[0] < 0) size[0] = in.response().contentLength();
                byte[] buf = COPY_BUFFER.get();
                for (int n; (n = in.readNBytes(buf, 0, buf.length)) > 0; ) {
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) pos[0] += out.write(bb, pos[0]);
                }
            }
            if (pos[0] < size[0]) throw new IOException("stream ended at " + pos[0] + " of " + size[0]);
            return pos[0];
        });
    }

    @Override
    public Reader reader(String name, boolean sequential) throws IOException {
        Entry e = stat(name);
        if (e == null) throw new NoSuchFileException(location + ": " + name);
        long size = e.size();
        return new Reader() {
            private InputStream in;
            private long pos;

            @Override
            public long size() {
                return size;
            }

            @Override
            public byte[] readFully(long at, int len) throws IOException {
                if (at + len > size) return null;
                byte[] a = new byte[len];
                if (!sequential) {
                    return S3Store.this.read(name, at, a, 0, len) == len ? a : null;
                }
                return call("GET", name, () -> {
                    try {
                        if (in == null || at < pos) open(at);
                        if (at > pos) {
                            in.skipNBytes(at - pos);
                            pos = at;
                        }
                        int n = in.readNBytes(a, 0, len);
                        pos += n;
                        if (n < len) throw new IOException("stream ended at " + pos + " of " + size);
                        return a;
                    } catch (IOException | RuntimeException ex) {
                        closeStream(); // the retry reopens at the position
                        throw ex;
                    }
                });
            }

            private void open(long at) {
                closeStream();
                in = s3.getObject(b -> b.bucket(bucket).key(key(name)).range("bytes=" + at + "-"));
                pos = at;
            }

            private void closeStream() {
                if (in == null) return;
                try {
                    in.close();
                } catch (IOException ignored) {
                    /* abandoned */
                }
                in = null;
            }

            @Override
            public void close() {
                closeStream();
            }
        };
    }

    @Override
    public List<Entry> list(String namePrefix) throws IOException {
        return call("LIST", namePrefix.isEmpty() ? "(all)" : namePrefix, () -> {
            List<Entry> out = new ArrayList<>();
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(key(namePrefix)))
                    .contents()) {
                // "dir/": a folder marker some servers list (s3proxy's filesystem store), not an object
                if (!o.key().endsWith("/"))
                    out.add(new Entry(o.key().substring(prefix.length()), o.size(), o.lastModified()));
            }
            return out;
        });
    }

    @Override
    public Entry stat(String name) throws IOException {
        try {
            return call("HEAD", name, () -> {
                HeadObjectResponse r = s3.headObject(b -> b.bucket(bucket).key(key(name)));
                return new Entry(name, r.contentLength(), r.lastModified());
            });
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public boolean delete(String name) throws IOException {
        call("DELETE", name, () -> s3.deleteObject(b -> b.bucket(bucket).key(key(name))));
        return true;
    }

    @Override
    public void close() {
        s3.close();
    }
}
