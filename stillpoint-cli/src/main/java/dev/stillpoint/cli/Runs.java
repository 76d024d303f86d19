package dev.stillpoint.cli;

import dev.stillpoint.cli.output.VmPrinter;
import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.runs.OrphanRecovery;
import dev.stillpoint.engine.runs.RunDirectory;
import dev.stillpoint.engine.vm.VmConnector;

/**
 * The run journals of this host ({@code $STILLPOINT_STATE_DIR/runs}, default
 * {@code /var/lib/stillpoint/runs}) and the recovery every domain command runs first, its actions
 * printed as {@code warning} lines (code {@value OrphanRecovery#ORPHAN_RECOVERED}).
 */
public final class Runs {
    private Runs() {}

    public static RunDirectory directory() throws EngineException {
        return RunDirectory.open(RunDirectory.defaultStateDir());
    }

    /** @param connector null for a command without a hypervisor connection */
    public static OrphanRecovery recovery(RunDirectory runs, VmConnector connector, VmPrinter printer) {
        return new OrphanRecovery(runs, connector, printer::warning);
    }
}
