package dev.stillpoint.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.repository.store.Store;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The {@link Store} contract, run against every store ({@code LocalStoreContractTest},
 * {@code S3StoreContractIT}): put-once, atomic replace and upload, ranges, listing, missing
 * objects. A subclass gives a fresh, empty store per test.
 */
abstract class StoreContract {
    /** A fresh empty store (closed by the test). */
    abstract Store store() throws Exception;

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void putPublishesOnceAndNeverReplaces() throws Exception {
        try (Store s = store()) {
            byte[] a = bytes(1000, 1);
            s.put("snapshots/x", a);
            assertThat(s.get("snapshots/x")).isEqualTo(a);
            assertThat(s.stat("snapshots/x").size()).isEqualTo(1000);
            assertThatThrownBy(() -> s.put("snapshots/x", bytes(10, 2)))
                    .isInstanceOfSatisfying(
                            RepositoryException.class,
                            e -> assertThat(e.code()).isEqualTo(RepositoryException.Code.ALREADY_EXISTS))
                    .hasMessageContaining("snapshots/x");
            assertThat(s.get("snapshots/x")).isEqualTo(a);
            s.put("empty", new byte[0]);
            assertThat(s.get("empty")).isEmpty();
        }
    }

    @Test
    void replaceOverwrites() throws Exception {
        try (Store s = store()) {
            s.replace("config", bytes(100, 1));
            s.replace("config", bytes(50, 2));
            assertThat(s.get("config")).isEqualTo(bytes(50, 2));
            assertThat(s.list("")).extracting(Store.Entry::name).containsExactly("config");
        }
    }

    @Test
    void missingObjectsAreNamed() throws Exception {
        try (Store s = store()) {
            assertThatThrownBy(() -> s.get("index/nope"))
                    .isInstanceOf(NoSuchFileException.class)
                    .hasMessageContaining("index/nope");
            assertThatThrownBy(() -> s.read("data/00/nope", 0, new byte[10], 0, 10))
                    .isInstanceOf(NoSuchFileException.class)
                    .hasMessageContaining("data/00/nope");
            assertThatThrownBy(() -> s.reader("data/00/nope", true))
                    .isInstanceOf(NoSuchFileException.class)
                    .hasMessageContaining("data/00/nope");
            assertThat(s.stat("index/nope")).isNull();
            s.delete("index/nope"); // not an error
            assertThat(s.list("index/")).isEmpty();
        }
    }

    @Test
    void rangesReadWhatIsThereAndStopAtTheEnd() throws Exception {
        try (Store s = store()) {
            byte[] a = bytes(100_000, 3);
            s.put("data/ab/p", a);
            byte[] dst = new byte[1000 + 7];
            assertThat(s.read("data/ab/p", 5000, dst, 7, 1000)).isEqualTo(1000);
            assertThat(Arrays.copyOfRange(dst, 7, 1007)).isEqualTo(Arrays.copyOfRange(a, 5000, 6000));
            assertThat(s.read("data/ab/p", 99_900, dst, 0, 1000)).isEqualTo(100); // short at the end
            assertThat(Arrays.copyOfRange(dst, 0, 100)).isEqualTo(Arrays.copyOfRange(a, 99_900, 100_000));
            assertThat(s.read("data/ab/p", 100_000, dst, 0, 10)).isZero();
            try (Store.Reader r = s.reader("data/ab/p", true)) {
                assertThat(r.size()).isEqualTo(100_000);
                assertThat(r.readFully(0, 10)).isEqualTo(Arrays.copyOfRange(a, 0, 10));
                assertThat(r.readFully(50_000, 30_000)).isEqualTo(Arrays.copyOfRange(a, 50_000, 80_000));
                assertThat(r.readFully(90_000, 20_000)).isNull();
            }
            try (Store.Reader r = s.reader("data/ab/p", false)) {
                assertThat(r.readFully(99_992, 8)).isEqualTo(Arrays.copyOfRange(a, 99_992, 100_000));
                assertThat(r.readFully(1, 2)).isEqualTo(Arrays.copyOfRange(a, 1, 3));
            }
        }
    }

    @Test
    void copyToStreamsAWholeObjectIntoAFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        try (Store s = store()) {
            byte[] a = bytes(3 * (1 << 20) + 12_345, 4); // more than one buffer or piece, not a multiple of one
            s.put("data/cd/p", a);
            s.put("data/cd/empty", new byte[0]);
            java.nio.file.Path f = tmp.resolve("copy");
            try (var out = java.nio.channels.FileChannel.open(
                    f, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
                assertThat(s.copyTo("data/cd/p", out)).isEqualTo(a.length);
            }
            assertThat(java.nio.file.Files.readAllBytes(f)).isEqualTo(a);
            java.nio.file.Path e = tmp.resolve("empty");
            try (var out = java.nio.channels.FileChannel.open(
                    e, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
                assertThat(s.copyTo("data/cd/empty", out)).isZero();
                assertThatThrownBy(() -> s.copyTo("data/cd/missing", out))
                        .isInstanceOf(NoSuchFileException.class)
                        .hasMessageContaining("data/cd/missing");
            }
            assertThat(java.nio.file.Files.size(e)).isZero();
        }
    }

    @Test
    void listGivesEveryObjectUnderAPrefixAtAnyDepth() throws Exception {
        try (Store s = store()) {
            s.put("data/00/a", bytes(3, 1));
            s.put("data/ff/b", bytes(5, 2));
            s.put("index/c", bytes(7, 3));
            s.put("snapshots/d", bytes(9, 4));
            s.put("datax", bytes(1, 5));
            assertThat(s.list("data/"))
                    .extracting(Store.Entry::name, Store.Entry::size)
                    .containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple("data/00/a", 3L),
                            org.assertj.core.groups.Tuple.tuple("data/ff/b", 5L));
            assertThat(s.list("index/")).extracting(Store.Entry::name).containsExactly("index/c");
            assertThat(s.list("locks/")).isEmpty();
            assertThat(s.list("data/00/a").get(0).modified()).isNotNull();
            assertThat(s.delete("data/00/a")).isTrue();
            assertThat(s.list("data/")).extracting(Store.Entry::name).containsExactly("data/ff/b");
        }
    }

    @Test
    void uploadsAreInvisibleUntilCommittedAndPublishedOnce() throws Exception {
        try (Store s = store()) {
            byte[] a = bytes(3_000_000, 7);
            try (Store.Upload u = s.upload()) {
                u.write(a, 0, 1_000_000, 0);
                u.write(a, 1_000_000, 2_000_000, 1_000_000);
                assertThat(s.stat("data/12/pack")).isNull();
                assertThat(s.list("data/")).isEmpty();
                assertThat(u.commit("data/12/pack", a.length)).isTrue();
            }
            assertThat(s.get("data/12/pack")).isEqualTo(a);
            try (Store.Upload u = s.upload()) { // abandoned: nothing appears
                u.write(a, 0, 1000, 0);
            }
            try (Store.Upload u = s.upload()) { // same name again: the first stays
                u.write(a, 0, 1000, 0);
                assertThat(u.commit("data/12/pack", 1000)).isFalse();
            }
            assertThat(s.get("data/12/pack")).isEqualTo(a);
            assertThat(s.list("data/")).extracting(Store.Entry::name).containsExactly("data/12/pack");
        }
    }

    @Test
    void readersSeeAWholeObjectOrNoneWhileItIsReplaced() throws Exception {
        try (Store s = store()) {
            byte[] a = bytes(2 << 20, 1), b = bytes(2 << 20, 2);
            s.replace("keys/master.json", a);
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService ex = Executors.newFixedThreadPool(2);
            try {
                Future<Integer> reads = ex.submit(() -> {
                    int n = 0;
                    while (!stop.get()) {
                        byte[] got = s.get("keys/master.json");
                        assertThat(Arrays.equals(got, a) || Arrays.equals(got, b))
                                .as("read %d is one of the two versions", n)
                                .isTrue();
                        n++;
                    }
                    return n;
                });
                for (int i = 0; i < 20; i++) s.replace("keys/master.json", i % 2 == 0 ? b : a);
                stop.set(true);
                assertThat(reads.get()).isPositive();
            } finally {
                ex.shutdownNow();
            }
        }
    }

    @Test
    void concurrentPutsOfOneNameLeaveOneWholeObject() throws Exception {
        try (Store s = store()) {
            byte[] a = bytes(1 << 20, 9);
            ExecutorService ex = Executors.newFixedThreadPool(4);
            try {
                List<Future<Boolean>> f = new ArrayList<>();
                for (int i = 0; i < 4; i++)
                    f.add(ex.submit(() -> {
                        try {
                            s.put("index/same", a);
                            return true;
                        } catch (RepositoryException e) {
                            assertThat(e.code()).isEqualTo(RepositoryException.Code.ALREADY_EXISTS);
                            return false;
                        }
                    }));
                int won = 0;
                for (Future<Boolean> x : f) if (x.get()) won++;
                assertThat(won).isGreaterThanOrEqualTo(1);
            } finally {
                ex.shutdownNow();
            }
            assertThat(s.get("index/same")).isEqualTo(a);
            assertThat(s.list("index/")).hasSize(1);
        }
    }
}
