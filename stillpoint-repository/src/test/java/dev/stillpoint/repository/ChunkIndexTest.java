package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkIndexTest {
    private static ChunkId randomId(Random r) {
        byte[] b = new byte[32];
        r.nextBytes(b);
        return new ChunkId(b);
    }

    @Test
    void everyAddedChunkIsFoundWithItsFirstLocationAndNothingElseIs() {
        Random r = new Random(7);
        ChunkIndex idx = new ChunkIndex();
        Map<ChunkId, ChunkIndex.Location> expected = new HashMap<>();
        List<ChunkId> all = new ArrayList<>();
        for (int p = 0; p < 300; p++) { // grows the table several times
            String pack = String.format("%064x", p);
            List<PackEntry> entries = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                // every 7th entry repeats an earlier chunk: the first pack holding it must win
                ChunkId id = i % 7 == 3 && !all.isEmpty() ? all.get(r.nextInt(all.size())) : randomId(r);
                entries.add(new PackEntry(id, i * 1000L, 900 + i, 1 << 20));
                if (!expected.containsKey(id)) {
                    expected.put(id, new ChunkIndex.Location(pack, i * 1000L, 900 + i, 1 << 20));
                    all.add(id);
                }
            }
            idx.add(pack, 50_000, entries);
        }
        assertThat(idx.chunkCount()).isEqualTo(expected.size());
        for (Map.Entry<ChunkId, ChunkIndex.Location> e : expected.entrySet()) {
            assertThat(idx.contains(e.getKey())).isTrue();
            assertThat(idx.get(e.getKey())).isEqualTo(e.getValue());
        }
        for (int i = 0; i < 10_000; i++) {
            ChunkId absent = randomId(r);
            assertThat(idx.contains(absent)).isFalse();
            assertThat(idx.get(absent)).isNull();
        }
        ChunkIndex.PackInfo first = idx.packs().get(String.format("%064x", 0));
        assertThat(first.entries()).hasSize(50);
        assertThat(first.entries().get(5).offset()).isEqualTo(5000L);
        assertThat(first.length()).isEqualTo(50_000);
    }

    @Test
    void addingTheSamePackTwiceChangesNothing() {
        Random r = new Random(3);
        ChunkIndex idx = new ChunkIndex();
        List<PackEntry> entries =
                List.of(new PackEntry(randomId(r), 0, 10, 20), new PackEntry(randomId(r), 10, 10, 20));
        idx.add("a".repeat(64), 100, entries);
        idx.add("a".repeat(64), 100, entries);
        assertThat(idx.chunkCount()).isEqualTo(2);
        assertThat(idx.packs()).hasSize(1);
    }

    @TempDir
    Path tmp;

    @Test
    void refreshForgetsPacksWhoseIndexFileIsGoneAndKeepsTheRest() throws Exception {
        Path dir = tmp.resolve("repo");
        try (Repository repo =
                Repositories.init(dir, TestImages.options(false))) { // every commit flushes its own packs
            for (int k = 0; k < 3; k++)
                TestImages.backup(repo, "img" + k, TestImages.image(21 + k, 12 * TestImages.CHUNK));
        }
        try (FileRepository fr = FileRepository.open(dir, null)) {
            ChunkIndex idx = fr.index();
            List<ChunkIndex.PackInfo> packs = new ArrayList<>(idx.packs().values());
            assertThat(packs.size()).isGreaterThan(1);
            int before = idx.chunkCount();
            ChunkIndex.PackInfo gone = packs.get(0);
            Files.delete(dir.resolve("index").resolve(gone.packId())); // as a prune in another process does
            idx.refresh(fr.store(), fr.crypto());
            assertThat(idx.packs()).doesNotContainKey(gone.packId());
            for (PackEntry e : gone.entries()) {
                boolean elsewhere = packs.stream()
                        .skip(1)
                        .anyMatch(p -> p.entries().stream().anyMatch(x -> x.id().equals(e.id())));
                assertThat(idx.contains(e.id())).isEqualTo(elsewhere);
            }
            for (ChunkIndex.PackInfo p : packs.subList(1, packs.size())) {
                for (PackEntry e : p.entries()) assertThat(idx.get(e.id())).isNotNull();
            }
            assertThat(idx.chunkCount()).isLessThan(before);
        }
    }
}
