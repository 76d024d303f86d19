package dev.stillpoint.guest.cli;

import dev.stillpoint.guest.ExitCodes;
import dev.stillpoint.guest.GuestException;
import dev.stillpoint.guest.hooks.HookDiscovery;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code stillpoint-guest}; {@link #commandLine()} is mounted by the host CLI as {@code stillpoint guest}. */
@Command(
        name = "stillpoint-guest",
        mixinStandardHelpOptions = true,
        version = "stillpoint-guest 0.1.0",
        description = "Runs every platform's freeze/thaw hooks, freezes filesystems, and checks hook setups.",
        subcommands = {
            FreezeCommands.Freeze.class,
            FreezeCommands.Thaw.class,
            FreezeCommands.FreezeFail.class,
            DoctorCommand.class,
            InstallCommands.Install.class,
            InstallCommands.Uninstall.class,
            FreezeCommands.Report.class,
            FreezeCommands.WatchdogCmd.class,
            FreezeCommands.CdsTrain.class
        })
public final class GuestMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    /**
     * The command tree. Each command maps {@link GuestException} to its exit code itself (see {@link #fail}), so the
     * codes are the same when a host CLI mounts this tree with its own handlers ({@code stillpoint guest ...}).
     */
    public static CommandLine commandLine() {
        return commandLine(CommandLine.defaultFactory());
    }

    static CommandLine commandLine(CommandLine.IFactory factory) {
        CommandLine cl = new CommandLine(new GuestMain(), factory);
        cl.setExecutionExceptionHandler((ex, line, parseResult) -> {
            if (ex instanceof GuestException) return fail(line, (GuestException) ex);
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

    /** Prints {@code stillpoint-guest: CODE (Azure NNN): message} on the command's error writer; returns the exit code. */
    static int fail(CommandLine line, GuestException g) {
        line.getErr()
                .println("stillpoint-guest: " + g.code()
                        + (g.azureCode() != null ? " (Azure " + g.azureCode() + ")" : "") + ": " + g.getMessage());
        line.getErr().flush();
        return ExitCodes.of(g);
    }

    /** Runs a command body, mapping {@link GuestException} to its exit code. */
    static int guarded(picocli.CommandLine.Model.CommandSpec spec, java.util.concurrent.Callable<Integer> body)
            throws Exception {
        try {
            return body.call();
        } catch (GuestException e) {
            return fail(spec.commandLine(), e);
        }
    }

    /**
     * A picocli usage error; typed {@link RuntimeException} so that the commands' hot path ({@link FastPath}, which
     * never hits it) does not load picocli classes to verify the throw.
     */
    static RuntimeException badParameter(CommandLine.Model.CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** Built-in quiescers (Stillpoint group). */
    static HookDiscovery.BuiltIns builtIns() {
        return new dev.stillpoint.guest.apps.AppQuiescers();
    }

    /** Same as {@link GuestLauncher#main} (the jar's main class). */
    public static void main(String[] args) {
        GuestLauncher.main(args);
    }
}
