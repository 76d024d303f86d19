package dev.stillpoint.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code stillpoint} host command. Subcommands register here. */
@Command(name = "stillpoint", mixinStandardHelpOptions = true, version = "stillpoint 0.1.0-SNAPSHOT",
        description = "Application-consistent VM backups into a deduplicating repository.",
        subcommands = {CommandLine.HelpCommand.class,
                dev.stillpoint.cli.analyze.AnalyzeCommand.class,
                dev.stillpoint.cli.analyze.VmCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new ExitCodes.ExceptionMapper());
        // The in-guest runner, mounted as-is: `stillpoint guest doctor` == `stillpoint-guest doctor`.
        cl.addSubcommand("guest", dev.stillpoint.guest.cli.GuestMain.commandLine());
        // Repository commands (dev.stillpoint.cli.repo).
        cl.addSubcommand(new dev.stillpoint.cli.repo.RepoCommand());
        cl.addSubcommand(new dev.stillpoint.cli.repo.ImageCommand());
        cl.addSubcommand(new dev.stillpoint.cli.repo.SnapshotsCommand());
        cl.addSubcommand(new dev.stillpoint.cli.repo.CheckCommand());
        cl.addSubcommand(new dev.stillpoint.cli.repo.ForgetCommand());
        cl.addSubcommand(new dev.stillpoint.cli.repo.PruneCommand());
        cl.addSubcommand(new dev.stillpoint.cli.repo.StatsCommand());
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
