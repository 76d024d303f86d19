package dev.stillpoint.repository.store;

import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignRequest;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignedRequest;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * SigV4 that leaves request bodies unsigned ({@code x-amz-content-sha256: UNSIGNED-PAYLOAD}) on
 * plain {@code http://} endpoints too, as the SDK already does over https. Over http the SDK
 * insists on signing the body: every PUT then hashes its bytes with SHA-256 in Java, in 128 KiB
 * signed chunks (measured: a fifth of all CPU samples of a 4 GiB backup into s3proxy on the
 * same host, plus the server verifying each chunk). The repository does not need it: every
 * object it writes is authenticated by its own encryption (AEAD tags, content-hash names) and
 * verified on every read and by {@code check}; a body altered in transit is refused there, as
 * it would be on a disk. The headers, path and query are still signed.
 *
 * <p>The request is signed as if it were https (the scheme is not part of a SigV4 signature; the
 * {@code Host} header, which is, is fixed first to the value the http request sends) and
 * goes out as http. {@code -Dstillpoint.s3.signPayload=true} or
 * {@code STILLPOINT_S3_SIGN_PAYLOAD=true} keeps the SDK's behaviour.
 */
final class UnsignedPayloadSigner implements HttpSigner<AwsCredentialsIdentity> {
    private final HttpSigner<AwsCredentialsIdentity> delegate;

    UnsignedPayloadSigner(HttpSigner<AwsCredentialsIdentity> delegate) {
        this.delegate = delegate;
    }

    @Override
    public SignedRequest sign(SignRequest<? extends AwsCredentialsIdentity> request) {
        SdkHttpRequest http = request.request();
        if (!"http".equals(http.protocol()) || request.payload().isEmpty()) return delegate.sign(request);
        SdkHttpRequest asHttps = http.toBuilder()
                .putHeader("Host", hostHeader(http))
                .protocol("https")
                .port(http.port())
                .build();
        SignedRequest signed = delegate.sign(request.copy(b -> b.request(asHttps)));
        SdkHttpRequest back =
                signed.request().toBuilder().protocol("http").port(http.port()).build();
        return signed.copy(b -> b.request(back));
    }

    /** The {@code Host} header an http request carries: the port only when it is not 80. */
    static String hostHeader(SdkHttpRequest http) {
        int port = http.port();
        return port == 80 || port < 0 ? http.host() : http.host() + ":" + port;
    }

    @Override
    public CompletableFuture<AsyncSignedRequest> signAsync(AsyncSignRequest<? extends AwsCredentialsIdentity> request) {
        return delegate.signAsync(request); // the store's client is synchronous
    }
}
