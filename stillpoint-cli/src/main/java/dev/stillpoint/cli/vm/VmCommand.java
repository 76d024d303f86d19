package dev.stillpoint.cli.vm;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code stillpoint vm}: inspection of running VMs. Holds {@code fs-state} for now; when a general
 * {@code vm} command group lands, {@link FsStateCommand} moves under it unchanged.
 */
@Command(name = "vm", mixinStandardHelpOptions = true, description = "Inspect virtual machines.",
        subcommands = {FsStateCommand.class})
public final class VmCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
