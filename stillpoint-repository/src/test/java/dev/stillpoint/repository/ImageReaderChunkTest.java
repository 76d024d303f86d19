package dev.stillpoint.repository;

import static dev.stillpoint.repository.TestImages.CHUNK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link ImageReader#readChunk} and {@link ImageReader#chunkSize}: the random access the NBD export reads through. */
class ImageReaderChunkTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void chunksReadInParallelEqualTheImageWithHolesAsZeroes(boolean encrypted) throws Exception {
        int size = 9 * CHUNK + 777; // a short last chunk
        byte[] img = TestImages.image(5, size);
        Arrays.fill(img, 2 * CHUNK, 4 * CHUNK, (byte) 0); // two holes
        try (Repository repo = Repositories.init(tmp.resolve("repo"), TestImages.options(encrypted))) {
            SnapshotInfo s = TestImages.backup(repo, "vm/vda", img);
            try (ImageReader r = repo.openImage(s.id())) {
                assertThat(r.chunkSize()).isEqualTo(CHUNK);
                List<ImageReader.Extent> expected = new ArrayList<>(); // every chunk not all zero, coalesced
                for (int c = 0; c * CHUNK < size; c++) {
                    int from = c * CHUNK, to = Math.min(size, from + CHUNK);
                    boolean zero = true;
                    for (int i = from; i < to && zero; i++) zero = img[i] == 0;
                    if (zero) continue;
                    ImageReader.Extent last = expected.isEmpty() ? null : expected.getLast();
                    if (last != null && last.offset() + last.length() == from)
                        expected.set(expected.size() - 1, new ImageReader.Extent(last.offset(), to - last.offset()));
                    else expected.add(new ImageReader.Extent(from, to - from));
                }
                assertThat(r.allocated()).isEqualTo(expected).doesNotContain(new ImageReader.Extent(2 * CHUNK, CHUNK));
                ExecutorService pool = Executors.newFixedThreadPool(4);
                try {
                    List<Future<byte[]>> chunks = new ArrayList<>();
                    for (int round = 0; round < 3; round++) {
                        for (int c = 0; c < 10; c++) {
                            long index = c;
                            chunks.add(pool.submit(() -> {
                                byte[] dst = new byte[CHUNK];
                                Arrays.fill(dst, (byte) 0x5a); // stale bytes must not survive
                                r.readChunk(index, dst);
                                return dst;
                            }));
                        }
                    }
                    for (int i = 0; i < chunks.size(); i++) {
                        int c = i % 10;
                        int len = Math.min(CHUNK, size - c * CHUNK);
                        assertThat(Arrays.copyOf(chunks.get(i).get(), len))
                                .as("chunk %d", c)
                                .isEqualTo(Arrays.copyOfRange(img, c * CHUNK, c * CHUNK + len));
                    }
                } finally {
                    pool.shutdown();
                }
                assertThatThrownBy(() -> r.readChunk(10, new byte[CHUNK]))
                        .isInstanceOf(RepositoryException.class)
                        .hasMessageContaining("chunk 10 is outside the image");
                assertThatThrownBy(() -> r.readChunk(0, new byte[CHUNK - 1]))
                        .hasMessageContaining("a chunk needs " + CHUNK);
            }
        }
    }
}
