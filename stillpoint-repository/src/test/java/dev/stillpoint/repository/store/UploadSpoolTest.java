package dev.stillpoint.repository.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pack on its way to S3: in an unlinked temp file, read back whole by every attempt. */
class UploadSpoolTest {
    @TempDir
    Path dir;

    @Test
    void theTempFileIsUnlinkedWhileThePackIsWrittenAndEveryStreamReadsItWhole() throws Exception {
        byte[] pack = new byte[3 * (1 << 20) + 17];
        new Random(5).nextBytes(pack);
        try (UploadSpool spool = new UploadSpool(dir)) {
            for (int off = 0; off < pack.length; off += 1 << 20)
                spool.write(pack, off, Math.min(1 << 20, pack.length - off), off);
            try (var left = Files.list(dir)) {
                assertThat(left).isEmpty(); // a kill now leaves nothing behind
            }
            for (int attempt = 0; attempt < 2; attempt++) { // a retried PUT reads it again from the start
                try (InputStream in = spool.open(pack.length - 17)) {
                    assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOf(pack, pack.length - 17));
                }
            }
        }
    }
}
