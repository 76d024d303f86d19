package dev.stillpoint.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code stillpoint} host command. Top-level commands register here; each group's classes
 * live in the package named after it ({@code cli.vm} for {@code vm ...}, {@code cli.image},
 * {@code cli.snapshots}, {@code cli.analyze}, {@code cli.repo} for {@code repo ...} and the
 * repository's check/forget/prune/stats, {@code cli.backup} for backup/restore/backups/export).
 */
@Command(
        name = "stillpoint",
        mixinStandardHelpOptions = true,
        version = "stillpoint 0.1.0-SNAPSHOT",
        description = "Application-consistent VM backups into a deduplicating repository.")
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * The top-level commands in the order help lists them, each adding itself (and what lives
     * under it) to the root. picocli reads a command's annotations when it is added, ~50 ms for
     * the whole tree, so a run builds only the command it names ({@link #commandLine(String)}).
     */
    private static final Map<String, Consumer<CommandLine>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("help", cl -> cl.addSubcommand(new CommandLine.HelpCommand()));
        COMMANDS.put("analyze", cl -> cl.addSubcommand(new dev.stillpoint.cli.analyze.AnalyzeCommand()));
        COMMANDS.put("vm", cl -> cl.addSubcommand(new dev.stillpoint.cli.vm.VmCommand()));
        // The in-guest runner, mounted as-is: `stillpoint guest doctor` == `stillpoint-guest doctor`.
        COMMANDS.put("guest", cl -> cl.addSubcommand("guest", dev.stillpoint.guest.cli.GuestMain.commandLine()));
        COMMANDS.put("repo", cl -> cl.addSubcommand(new dev.stillpoint.cli.repo.RepoCommand()));
        COMMANDS.put("image", cl -> cl.addSubcommand(new dev.stillpoint.cli.image.ImageCommand()));
        COMMANDS.put("snapshots", cl -> cl.addSubcommand(new dev.stillpoint.cli.snapshots.SnapshotsCommand()));
        COMMANDS.put("instant", cl -> cl.addSubcommand(new dev.stillpoint.cli.instant.InstantCommand()));
        // The repository's own top-level commands live in dev.stillpoint.cli.repo beside `repo ...`.
        COMMANDS.put("check", cl -> cl.addSubcommand(new dev.stillpoint.cli.repo.CheckCommand()));
        COMMANDS.put("forget", cl -> cl.addSubcommand(new dev.stillpoint.cli.repo.ForgetCommand()));
        COMMANDS.put("prune", cl -> cl.addSubcommand(new dev.stillpoint.cli.repo.PruneCommand()));
        COMMANDS.put("stats", cl -> cl.addSubcommand(new dev.stillpoint.cli.repo.StatsCommand()));
        COMMANDS.put("copy", cl -> cl.addSubcommand(new dev.stillpoint.cli.repo.CopyCommand()));
        COMMANDS.put("catalog", cl -> cl.addSubcommand(new dev.stillpoint.cli.catalog.CatalogCommand()));
        COMMANDS.put("backup", cl -> cl.addSubcommand(new dev.stillpoint.cli.backup.BackupCommand()));
        COMMANDS.put("restore", cl -> cl.addSubcommand(new dev.stillpoint.cli.backup.RestoreCommand()));
        COMMANDS.put("backups", cl -> cl.addSubcommand(new dev.stillpoint.cli.backup.BackupsCommand()));
        COMMANDS.put("export", cl -> cl.addSubcommand(new dev.stillpoint.cli.backup.ExportCommand()));
        COMMANDS.put("verify", cl -> cl.addSubcommand(new dev.stillpoint.cli.backup.VerifyCommand()));
        // File-level restore (dev.stillpoint.cli.files); `restore --files` lives in the backup package's `restore`.
        COMMANDS.put("files", cl -> cl.addSubcommand(new dev.stillpoint.cli.files.FilesCommand()));
        COMMANDS.put("mount", cl -> cl.addSubcommand(new dev.stillpoint.cli.files.MountCommand()));
        COMMANDS.put("umount", cl -> cl.addSubcommand(new dev.stillpoint.cli.files.UmountCommand()));
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The whole command tree. */
    public static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The tree a run starting with {@code first} needs: only that top-level command when it names
     * one (other than {@code help}, which looks at all of them), else the whole tree (root options,
     * usage, and picocli's suggestions for a mistyped name).
     */
    public static CommandLine commandLine(String first) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new ExitCodes.ExceptionMapper());
        boolean one = first != null && !first.equals("help") && COMMANDS.containsKey(first);
        for (Map.Entry<String, Consumer<CommandLine>> e : COMMANDS.entrySet())
            if (!one || e.getKey().equals(first)) e.getValue().accept(cl);
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine(args.length == 0 ? null : args[0]).execute(args));
    }
}
