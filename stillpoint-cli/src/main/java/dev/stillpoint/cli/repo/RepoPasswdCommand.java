package dev.stillpoint.cli.repo;

import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.JsonOption;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.RepositoryException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code stillpoint repo passwd --repo DIR [--password-file F] [--new-password-file F]}. */
@Command(
        name = "passwd",
        mixinStandardHelpOptions = true,
        description =
                "Change the passphrase of an encrypted repository. The master key is wrapped again; no data is rewritten "
                        + "and running backups keep working. The current passphrase comes as for every command; the new one from "
                        + "$STILLPOINT_NEW_PASSWORD, --new-password-file, or a prompt (twice).")
public final class RepoPasswdCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RepoOptions repo;

    @Mixin
    JsonOption json;

    @Option(
            names = "--new-password-file",
            paramLabel = "FILE",
            description =
                    "Read the new passphrase from the first line of FILE (else $STILLPOINT_NEW_PASSWORD, else a prompt).")
    Path newPasswordFile;

    @Override
    public Integer call() throws Exception {
        String dir = repo.location();
        if (!Repositories.isEncrypted(dir)) // before asking for anything
        throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    dir + " is not encrypted: it has no passphrase to change");
        char[] current = repo.password(false);
        char[] next = RepoOptions.passphrase(
                "STILLPOINT_NEW_PASSWORD", newPasswordFile, "--new-password-file", "new passphrase: ", true);
        Repositories.changePassword(dir, current, next);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("repository", dir.toString());
        m.put("changed", true);
        Output.of(spec, json.enabled())
                .summary(m, "passphrase changed for " + dir + "; the old one no longer opens it");
        return 0;
    }
}
