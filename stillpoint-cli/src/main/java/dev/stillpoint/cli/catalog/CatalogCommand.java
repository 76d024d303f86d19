package dev.stillpoint.cli.catalog;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code stillpoint catalog ...}: the backup catalog (the SQLite file beside a repository or in the state directory). */
@Command(
        name = "catalog",
        description = "The backup catalog: rebuild it from a repository.",
        mixinStandardHelpOptions = true,
        subcommands = CatalogRebuildCommand.class)
public final class CatalogCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
