package dev.stillpoint.repository.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

class UnsignedPayloadSignerTest {
    private static final AwsCredentialsIdentity KEY = AwsCredentialsIdentity.create("AKID", "SECRET");
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-06T08:00:00Z"), ZoneOffset.UTC);
    private static final byte[] BODY = "pack bytes".getBytes(StandardCharsets.UTF_8);

    private static SignRequest<AwsCredentialsIdentity> put(String endpoint) {
        SdkHttpRequest http = SdkHttpRequest.builder()
                .method(SdkHttpMethod.PUT)
                .uri(URI.create(endpoint + "/bucket/data/ab/abcd"))
                .putHeader("Content-Length", Integer.toString(BODY.length))
                .build();
        return SignRequest.builder(KEY)
                .request(http)
                .payload(ContentStreamProvider.fromByteArray(BODY))
                .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, false)
                .putProperty(AwsV4FamilyHttpSigner.CHUNK_ENCODING_ENABLED, true)
                .putProperty(HttpSigner.SIGNING_CLOCK, CLOCK)
                .build();
    }

    @Test
    void httpBodyIsNotSignedButHeadersAre() {
        AwsV4HttpSigner sdk = AwsV4HttpSigner.create();
        SignedRequest plain = sdk.sign(put("http://127.0.0.1:9000"));
        // what the SDK does alone over http: the body is hashed, in signed chunks
        assertThat(plain.request().firstMatchingHeader("x-amz-content-sha256").orElseThrow())
                .isNotEqualTo("UNSIGNED-PAYLOAD");

        SignedRequest ours = new UnsignedPayloadSigner(sdk).sign(put("http://127.0.0.1:9000"));
        SdkHttpRequest r = ours.request();
        assertThat(r.protocol()).isEqualTo("http");
        assertThat(r.port()).isEqualTo(9000);
        assertThat(r.host()).isEqualTo("127.0.0.1");
        assertThat(r.firstMatchingHeader("x-amz-content-sha256")).contains("UNSIGNED-PAYLOAD");
        assertThat(r.firstMatchingHeader("Host")).contains("127.0.0.1:9000");
        assertThat(r.firstMatchingHeader("Content-Encoding")).isEmpty(); // not aws-chunked
        // the same signature as the SDK gives the request over https with that Host header
        SignRequest<AwsCredentialsIdentity> http = put("http://127.0.0.1:9000");
        SignRequest<AwsCredentialsIdentity> https = http.copy(b -> b.request(http.request().toBuilder()
                .protocol("https")
                .port(9000)
                .putHeader("Host", "127.0.0.1:9000")
                .build()));
        assertThat(r.firstMatchingHeader("Authorization"))
                .isEqualTo(sdk.sign(https).request().firstMatchingHeader("Authorization"));
        assertThat(r.firstMatchingHeader("Authorization").orElseThrow())
                .contains("SignedHeaders=")
                .contains("host");
    }

    @Test
    void hostHeaderLeavesOutTheDefaultPort() {
        SignedRequest ours = new UnsignedPayloadSigner(AwsV4HttpSigner.create()).sign(put("http://s3.example"));
        assertThat(ours.request().firstMatchingHeader("Host")).contains("s3.example");
        assertThat(ours.request().protocol()).isEqualTo("http");
        assertThat(ours.request().port()).isEqualTo(80);
    }

    @Test
    void httpsIsLeftToTheSdk() {
        AwsV4HttpSigner sdk = AwsV4HttpSigner.create();
        SignedRequest ours = new UnsignedPayloadSigner(sdk).sign(put("https://s3.example"));
        assertThat(ours.request().firstMatchingHeader("Authorization"))
                .isEqualTo(sdk.sign(put("https://s3.example")).request().firstMatchingHeader("Authorization"));
        assertThat(ours.request().firstMatchingHeader("x-amz-content-sha256")).contains("UNSIGNED-PAYLOAD");
    }
}
