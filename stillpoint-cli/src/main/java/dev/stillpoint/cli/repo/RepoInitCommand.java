package dev.stillpoint.cli.repo;

import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.JsonOption;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryOptions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code stillpoint repo init --repo DIR [--encryption aes-256-gcm|none] [--chunk-size BYTES] [--compression-level N]}. */
@Command(
        name = "init",
        description = "Create a repository in an empty or new directory.",
        mixinStandardHelpOptions = true)
public final class RepoInitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RepoOptions repo;

    @Mixin
    JsonOption json;

    @Option(
            names = "--encryption",
            paramLabel = "MODE",
            defaultValue = "aes-256-gcm",
            description = "aes-256-gcm (default) or none.")
    String encryption;

    @Option(
            names = "--chunk-size",
            paramLabel = "BYTES",
            defaultValue = "1048576",
            description = "Fixed chunk size, a power of two (default 1 MiB).")
    int chunkSize;

    @Option(
            names = "--compression-level",
            paramLabel = "N",
            defaultValue = "" + RepositoryOptions.DEFAULT_COMPRESSION_LEVEL,
            description =
                    "zstd level 1..19 (default ${DEFAULT-VALUE}, run with minMatch 7), fixed for the repository. On the 4 GiB "
                            + "benchmark image (bench/) level 2 stores 1324 MiB; level 1 stores 7%% more for a slightly faster backup; "
                            + "higher levels store less and take longer.")
    int compressionLevel;

    @Override
    public Integer call() throws Exception {
        if (compressionLevel < 1 || compressionLevel > 19)
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--compression-level: " + compressionLevel + " is not a zstd level (1..19)");
        RepositoryOptions.Encryption enc = RepositoryOptions.Encryption.parse(encryption);
        RepositoryOptions o = enc == RepositoryOptions.Encryption.NONE
                ? RepositoryOptions.unencrypted()
                : RepositoryOptions.encrypted(repo.password(true));
        o = o.withChunkSize(chunkSize).withCompressionLevel(compressionLevel);
        try (Repository r = Repositories.init(repo.location(), o)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("repository", repo.location());
            m.put("encryption", enc.id());
            m.put("chunkSize", chunkSize);
            m.put("compressionLevel", compressionLevel);
            m.put("idHash", o.idHash().id());
            Output.of(spec, json.enabled())
                    .summary(
                            m,
                            "created " + enc.id() + " repository at " + repo.location()
                                    + (enc == RepositoryOptions.Encryption.NONE
                                            ? ""
                                            : "\nremember the passphrase: without it the data cannot be read"));
        }
        return 0;
    }
}
