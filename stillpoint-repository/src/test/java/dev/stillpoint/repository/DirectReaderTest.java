package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DirectReader}: forward reads of any size and alignment return the file's bytes; past the end, null. */
class DirectReaderTest {
    @TempDir
    Path tmp;

    @Test
    void forwardReadsAcrossWindowsAndTheUnalignedEndComeBackExactly() throws Exception {
        SplittableRandom r = new SplittableRandom(8);
        byte[] file = new byte[2 * DirectReader.BUFFER + 5555];
        r.nextBytes(file);
        Path f = tmp.resolve("pack");
        Files.write(f, file);
        DirectReader d = DirectReader.open(f);
        if (d == null) { // only where the filesystem refuses O_DIRECT
            assertThat(Files.getFileStore(f).type()).isIn("tmpfs", "overlay", "nfs", "nfs4", "fuse");
            return;
        }
        try (d) {
            assertThat(d.size()).isEqualTo(file.length);
            long pos = 0;
            int reads = 0;
            while (pos < file.length) {
                pos += r.nextInt(3) == 0 ? r.nextInt(5000) : 0; // gaps, as between a pack's blobs and its header
                int len = (int) Math.min(file.length - pos, r.nextInt(DirectReader.BUFFER / 2));
                if (pos >= file.length) break;
                byte[] got = d.readFully(pos, len);
                assertThat(got)
                        .as("read %d at %d", len, pos)
                        .isEqualTo(Arrays.copyOfRange(file, (int) pos, (int) pos + len));
                pos += len;
                reads++;
            }
            assertThat(reads).isGreaterThan(5);
            assertThat(d.readFully(file.length - 10, 20)).as("crosses the end").isNull();
        }
    }
}
