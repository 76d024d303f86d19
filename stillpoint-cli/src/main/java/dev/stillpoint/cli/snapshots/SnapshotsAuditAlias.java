package dev.stillpoint.cli.snapshots;

import dev.stillpoint.cli.vm.VmSnapshotAuditCommand;
import picocli.CommandLine.Command;

/** {@code stillpoint snapshots audit}: the old spelling of {@code vm snapshot audit}, kept hidden for a while. */
@Command(name = "audit", hidden = true)
public final class SnapshotsAuditAlias extends VmSnapshotAuditCommand {}
