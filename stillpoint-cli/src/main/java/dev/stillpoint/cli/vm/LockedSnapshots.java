package dev.stillpoint.cli.vm;

import dev.stillpoint.cli.Runs;
import dev.stillpoint.cli.output.VmPrinter;
import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.runs.RunDirectory;
import dev.stillpoint.engine.snapshot.VmSnapshots;
import dev.stillpoint.engine.vm.VmConnector;
import java.time.Clock;

/**
 * The {@link VmSnapshots} of the commands that change snapshots: they hold the domain's run lock
 * (exit 27 while a backup or another of them works on it), recover dead runs first and journal
 * what a create may leave behind.
 */
final class LockedSnapshots {
    private LockedSnapshots() {}

    static VmSnapshots changing(VmConnector connector, VmPrinter printer) throws EngineException {
        RunDirectory runs = Runs.directory();
        return new VmSnapshots(
                connector, Clock.systemUTC(), printer::warning, runs, Runs.recovery(runs, connector, printer));
    }
}
