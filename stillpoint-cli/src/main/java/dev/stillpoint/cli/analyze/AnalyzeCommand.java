package dev.stillpoint.cli.analyze;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code stillpoint analyze}: offline diagnostics of logs and reports. */
@Command(
        name = "analyze",
        mixinStandardHelpOptions = true,
        description = "Analyse logs: hypervisor stun times, freeze/thaw windows.",
        subcommands = {StunCommand.class, FreezeLogCommand.class})
public final class AnalyzeCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
