package dev.stillpoint.repository;

import java.nio.file.Path;

/**
 * Runs check (with data), stats and prune on the repository given as argument, in a JVM with a
 * heap smaller than the sum of its manifests ({@link BoundedMemoryTest}); prints the results.
 */
public final class ManyLargeSnapshotsChild {
    private ManyLargeSnapshotsChild() {}

    public static void main(String[] args) throws Exception {
        try (Repository repo = Repositories.open(Path.of(args[0]), null)) {
            CheckReport r = repo.check(100, ProgressListener.NONE);
            System.out.println("check ok=" + r.ok() + " snapshots=" + r.snapshots() + " errors=" + r.errors());
            RepositoryStats s = repo.stats();
            System.out.println("stats snapshots=" + s.snapshots() + " uniqueChunks=" + s.uniqueChunks()
                    + " uniqueBytes=" + s.uniqueBytes());
            PruneResult p = repo.prune(ProgressListener.NONE);
            System.out.println("prune deleted=" + p.packsDeleted());
        }
    }
}
