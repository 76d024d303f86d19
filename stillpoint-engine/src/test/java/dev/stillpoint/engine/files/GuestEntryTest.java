package dev.stillpoint.engine.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class GuestEntryTest {
    private static GuestEntry entry(long fullMode) {
        return new GuestEntry(
                "/x", GuestEntry.Kind.ofMode(fullMode), (int) (fullMode & 07777), 0, 0, 0, Instant.EPOCH, 1, null);
    }

    @Test
    void modeStringsAsLsPrintsThem() {
        assertThat(entry(0100644).modeString()).isEqualTo("-rw-r--r--");
        assertThat(entry(040755).modeString()).isEqualTo("drwxr-xr-x");
        assertThat(entry(0104755).modeString()).isEqualTo("-rwsr-xr-x");
        assertThat(entry(0102640).modeString()).isEqualTo("-rw-r-S---");
        assertThat(entry(041777).modeString()).isEqualTo("drwxrwxrwt");
        assertThat(entry(0120777).modeString()).isEqualTo("lrwxrwxrwx");
        assertThat(entry(010644).kind()).isEqualTo(GuestEntry.Kind.FIFO);
        assertThat(entry(020600).kind().label()).isEqualTo("char");
        assertThat(entry(0140755).kind().label()).isEqualTo("socket");
    }
}
