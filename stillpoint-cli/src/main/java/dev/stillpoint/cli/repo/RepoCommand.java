package dev.stillpoint.cli.repo;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code stillpoint repo ...}: repository administration. */
@Command(
        name = "repo",
        description = "Repository administration.",
        mixinStandardHelpOptions = true,
        subcommands = {
            RepoInitCommand.class,
            RepoPasswdCommand.class,
            RepoRepairIndexCommand.class,
            RepoUnlockCommand.class
        })
public final class RepoCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
