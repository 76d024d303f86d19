package dev.stillpoint.cli.backup;

import dev.stillpoint.cli.snapshots.SnapshotsAuditCommand;
import java.util.List;
import picocli.CommandLine;

/** Registers the VM backup commands on the root {@code stillpoint} command line. */
public final class VmCommands {
    private VmCommands() {}

    /** The top-level names {@link #register(CommandLine, String)} knows. */
    public static final List<String> NAMES = List.of("backup", "restore", "backups", "snapshots");

    public static void register(CommandLine cl) {
        for (String name : NAMES) register(cl, name);
    }

    /**
     * Adds the VM command {@code name}. {@code snapshots} adds {@code audit} under the
     * repository's {@code snapshots} when that is registered, else a VM-only {@code snapshots}.
     */
    public static void register(CommandLine cl, String name) {
        switch (name) {
            case "backup" -> cl.addSubcommand("backup", new BackupCommand());
            case "restore" -> cl.addSubcommand("restore", new RestoreCommand());
            case "backups" -> cl.addSubcommand("backups", new BackupsCommand());
            case "snapshots" -> {
                CommandLine snapshots = cl.getSubcommands().get("snapshots");
                if (snapshots != null) snapshots.addSubcommand("audit", new SnapshotsAuditCommand.Audit());
                else cl.addSubcommand("snapshots", new SnapshotsAuditCommand());
            }
            default -> throw new IllegalArgumentException("no VM command " + name);
        }
    }
}
