package dev.stillpoint.cli.vm;

import dev.stillpoint.cli.ConnectOption;
import dev.stillpoint.cli.Connectors;
import dev.stillpoint.cli.output.VmPrinter;
import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmDomain;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code stillpoint vm snapshot revert DOMAIN NAME [--running|--paused]}. */
@Command(
        name = "revert",
        mixinStandardHelpOptions = true,
        description = {
            "Revert a domain to an internal snapshot: its disks (and, for a memory snapshot, the running VM) return to that moment.",
            "Stillpoint's checkpoints are deleted first (their bitmaps miss what a revert changes): the next backup is a full one. "
                    + "Exit 31 when the snapshot does not exist."
        })
public final class VmSnapshotRevertCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DOMAIN", description = "Domain name or UUID.")
    String domain;

    @Parameters(index = "1", paramLabel = "NAME", description = "Snapshot name.")
    String name;

    @ArgGroup(exclusive = true)
    After after;

    static final class After {
        @Option(names = "--running", description = "Running afterwards (boots a disk-only snapshot).")
        boolean running;

        @Option(names = "--paused", description = "Paused afterwards.")
        boolean paused;
    }

    @Mixin
    ConnectOption connect;

    @Option(names = "--json", description = "JSON lines: warnings, then a summary.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        VmPrinter printer = VmPrinter.of(spec, json);
        VmDomain.State state = after == null
                ? null
                : after.running ? VmDomain.State.RUNNING : after.paused ? VmDomain.State.PAUSED : null;
        long t0 = System.nanoTime();
        try (VmConnector connector = Connectors.open(connect.uri)) {
            LockedSnapshots.changing(connector, printer).revert(domain, name, state);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        printer.summary(Map.of("domain", domain, "name", name, "ms", ms));
        printer.line("reverted " + domain + " to snapshot " + name + " in " + ms + " ms");
        return 0;
    }
}
