package dev.stillpoint.cli.repo;

import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.JsonOption;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.repository.Repository;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code stillpoint repo repair-index}: rebuild lost or damaged index files from pack headers. */
@Command(
        name = "repair-index",
        description = "Rebuild missing or damaged index files from the pack headers (exclusive lock).",
        mixinStandardHelpOptions = true)
public final class RepoRepairIndexCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RepoOptions repo;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() throws Exception {
        int n;
        try (Repository r = repo.open()) {
            n = r.repairIndex();
        }
        Output.of(spec, json.enabled()).summary(Map.of("indexFilesWritten", n), n + " index files rebuilt");
        return 0;
    }
}
