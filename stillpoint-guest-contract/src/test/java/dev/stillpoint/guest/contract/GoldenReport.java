package dev.stillpoint.guest.contract;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The golden report ({@code golden-report.json}): every field of {@link GuestReport}, as the runner writes it.
 * The guest's and the host's tests read it from this module's test jar, so that a change of the format breaks
 * the tests of both sides.
 */
public final class GoldenReport {
    public static final String RESOURCE = "/dev/stillpoint/guest/contract/golden-report.json";

    private GoldenReport() {}

    public static String text() {
        try (InputStream in = GoldenReport.class.getResourceAsStream(RESOURCE)) {
            if (in == null)
                throw new IllegalStateException(
                        RESOURCE + " is not on the class path (stillpoint-guest-contract test-jar)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
