package dev.stillpoint.cli.vm;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code stillpoint vm snapshot}: the hypervisor's snapshots of a domain (not the repository's {@code snapshots}). */
@Command(
        name = "snapshot",
        mixinStandardHelpOptions = true,
        description = {
            "Take, inspect, revert and delete libvirt snapshots of a domain (around a risky change).",
            "Internal snapshots keep the VM's memory inside the qcow2, which grows with each one; external ones are overlay files. See docs/snapshots.md."
        },
        subcommands = {
            VmSnapshotCreateCommand.class,
            VmSnapshotListCommand.class,
            VmSnapshotRevertCommand.class,
            VmSnapshotDeleteCommand.class,
            VmSnapshotAuditCommand.class,
            VmSnapshotPruneCommand.class
        })
public final class VmSnapshotCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
