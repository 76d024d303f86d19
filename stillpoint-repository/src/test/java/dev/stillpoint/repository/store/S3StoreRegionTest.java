package dev.stillpoint.repository.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;

class S3StoreRegionTest {
    @Test
    void anAwsHostNamesItsRegion() {
        assertThat(S3Store.regionOfAwsHost("s3.eu-west-1.amazonaws.com")).isEqualTo("eu-west-1");
        assertThat(S3Store.regionOfAwsHost("s3-ap-southeast-2.amazonaws.com")).isEqualTo("ap-southeast-2");
        assertThat(S3Store.regionOfAwsHost("bucket.s3.dualstack.us-gov-west-1.amazonaws.com"))
                .isEqualTo("us-gov-west-1");
        assertThat(S3Store.regionOfAwsHost("S3.EU-CENTRAL-1.AMAZONAWS.COM")).isEqualTo("eu-central-1");
        assertThat(S3Store.region("s3.eu-north-1.amazonaws.com")).isEqualTo(Region.EU_NORTH_1);
    }

    @Test
    void otherHostsNameNone() {
        assertThat(S3Store.regionOfAwsHost("s3.amazonaws.com")).isNull();
        assertThat(S3Store.regionOfAwsHost("127.0.0.1")).isNull();
        assertThat(S3Store.regionOfAwsHost("minio.example")).isNull();
        assertThat(S3Store.regionOfAwsHost("s3.eu-west-1.amazonaws.com.evil.example"))
                .isNull();
    }

    /** Another server's region is the setting's, or us-east-1, without waiting for the instance-metadata probe. */
    @Test
    void aNonAwsHostTakesTheSettingOrTheDefaultAtOnce() {
        String saved = System.getProperty("aws.region");
        try {
            System.setProperty("aws.region", "garage");
            assertThat(S3Store.region("127.0.0.1").id()).isEqualTo("garage");
            System.clearProperty("aws.region");
            boolean envRegion = System.getenv("AWS_REGION") != null;
            S3Store.region("127.0.0.1"); // the providers' classes loaded
            long t0 = System.nanoTime();
            Region r = S3Store.region("127.0.0.1");
            // the instance-metadata probe takes ~750 ms here when nothing answers it
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(300);
            if (!envRegion && System.getenv("AWS_PROFILE") == null)
                assertThat(r).isEqualTo(Region.US_EAST_1);
        } finally {
            if (saved == null) System.clearProperty("aws.region");
            else System.setProperty("aws.region", saved);
        }
    }
}
