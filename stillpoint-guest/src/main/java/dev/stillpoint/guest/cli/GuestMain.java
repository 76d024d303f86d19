package dev.stillpoint.guest.cli;

import dev.stillpoint.guest.ExitCodes;
import dev.stillpoint.guest.GuestException;
import dev.stillpoint.guest.hooks.HookDiscovery;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code stillpoint-guest}; {@link #commandLine()} is mounted by the host CLI as {@code stillpoint guest}. */
@Command(name = "stillpoint-guest", mixinStandardHelpOptions = true, version = "stillpoint-guest 0.1.0",
        description = "Runs every platform's freeze/thaw hooks, freezes filesystems, and checks hook setups.",
        subcommands = {FreezeCommands.Freeze.class, FreezeCommands.Thaw.class, FreezeCommands.FreezeFail.class,
                DoctorCommand.class, InstallCommands.Install.class, InstallCommands.Uninstall.class,
                FreezeCommands.Report.class, FreezeCommands.WatchdogCmd.class})
public final class GuestMain implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    /** The command tree, with the error-to-exit-code mapping installed. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new GuestMain());
        cl.setExecutionExceptionHandler((ex, line, parseResult) -> {
            if (ex instanceof GuestException) {
                GuestException g = (GuestException) ex;
                line.getErr().println("stillpoint-guest: " + g.code() + (g.azureCode() != null ? " (Azure " + g.azureCode() + ")" : "")
                        + ": " + g.getMessage());
                line.getErr().flush();
                return ExitCodes.of(g);
            }
            line.getErr().println("stillpoint-guest: internal error: " + ex);
            ex.printStackTrace(line.getErr());
            return ExitCodes.INTERNAL;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            ex.getCommandLine().getErr().println("stillpoint-guest: " + ex.getMessage());
            ex.getCommandLine().getErr().flush();
            return ExitCodes.BAD_INPUT;
        });
        return cl;
    }

    /** Built-in quiescers (Stillpoint group). */
    static HookDiscovery.BuiltIns builtIns() {
        return new dev.stillpoint.guest.apps.AppQuiescers();
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
