package dev.stillpoint.cli.repo;

import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.JsonOption;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryStats;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code stillpoint stats}: logical versus stored bytes, dedup and compression ratios. */
@Command(
        name = "stats",
        description = "Show logical versus stored size and the dedup ratio.",
        mixinStandardHelpOptions = true)
public final class StatsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RepoOptions repo;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() throws Exception {
        Output out = Output.of(spec, json.enabled());
        RepositoryStats s;
        try (Repository r = repo.open()) {
            s = r.stats();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("snapshots", s.snapshots());
        m.put("logicalBytes", s.logicalBytes());
        m.put("allocatedBytes", s.allocatedBytes());
        m.put("uniqueChunks", s.uniqueChunks());
        m.put("uniqueBytes", s.uniqueBytes());
        m.put("storedBytes", s.storedBytes());
        m.put("packs", s.packs());
        m.put("dedupRatio", round(s.dedupRatio()));
        m.put("compressionRatio", round(s.compressionRatio()));
        m.put("totalRatio", round(s.totalRatio()));
        out.summary(
                m,
                String.format(
                        Locale.ROOT,
                        """
                snapshots:         %d
                logical size:      %s (sum of image sizes)
                allocated:         %s (non-hole data of all snapshots)
                unique data:       %s in %d chunks (dedup ratio %.2f)
                stored:            %s in %d packs (compression ratio %.2f)
                overall saving:    %.2fx""",
                        s.snapshots(),
                        Output.bytes(s.logicalBytes()),
                        Output.bytes(s.allocatedBytes()),
                        Output.bytes(s.uniqueBytes()),
                        s.uniqueChunks(),
                        s.dedupRatio(),
                        Output.bytes(s.storedBytes()),
                        s.packs(),
                        s.compressionRatio(),
                        s.totalRatio()));
        return 0;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
