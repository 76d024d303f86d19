package dev.stillpoint.cli.vm;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code stillpoint vm}: inspection of running VMs ({@code vm fs-state}) and their snapshots ({@code vm snapshot}). */
@Command(
        name = "vm",
        mixinStandardHelpOptions = true,
        description = "Inspect virtual machines.",
        subcommands = {FsStateCommand.class, VmSnapshotCommand.class})
public final class VmCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
