package dev.stillpoint.cli.vm;

import dev.stillpoint.cli.ConnectOption;
import dev.stillpoint.cli.Connectors;
import dev.stillpoint.cli.output.VmPrinter;
import dev.stillpoint.engine.vm.VmConnector;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code stillpoint vm snapshot delete DOMAIN NAME}. */
@Command(
        name = "delete",
        mixinStandardHelpOptions = true,
        description = {
            "Delete a snapshot. An external one is merged back: libvirt commits its overlay into the overlay's own "
                    + "backing image only (never the whole chain) and removes the file; the chain is checked before and after.",
            "Exit 31 when the snapshot does not exist."
        })
public final class VmSnapshotDeleteCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DOMAIN", description = "Domain name or UUID.")
    String domain;

    @Parameters(index = "1", paramLabel = "NAME", description = "Snapshot name.")
    String name;

    @Mixin
    ConnectOption connect;

    @Option(names = "--json", description = "JSON lines: warnings, then a summary.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        VmPrinter printer = VmPrinter.of(spec, json);
        long t0 = System.nanoTime();
        try (VmConnector connector = Connectors.open(connect.uri)) {
            LockedSnapshots.changing(connector, printer).delete(domain, name);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        printer.summary(Map.of("domain", domain, "name", name, "ms", ms));
        printer.line("deleted snapshot " + name + " of " + domain + " in " + ms + " ms");
        return 0;
    }
}
