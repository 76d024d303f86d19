package dev.stillpoint.cli.vm;

import picocli.CommandLine;

/** Registers the VM backup commands: backup, restore, backups, snapshots audit. */
public final class VmCommands {
    private VmCommands() {}

    public static void register(CommandLine cl) {
        cl.addSubcommand("backup", new BackupCommand());
        cl.addSubcommand("restore", new RestoreCommand());
        cl.addSubcommand("backups", new BackupsCommand());
        // `stillpoint snapshots` lists repository snapshots; `snapshots audit` lives under it.
        CommandLine snapshots = cl.getSubcommands().get("snapshots");
        if (snapshots != null) {
            snapshots.addSubcommand("audit", new SnapshotsCommand.Audit());
        } else {
            cl.addSubcommand("snapshots", new SnapshotsCommand());
        }
    }
}
