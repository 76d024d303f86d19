package dev.stillpoint.cli.vm;

import dev.stillpoint.cli.ConnectOption;
import dev.stillpoint.cli.Connectors;
import dev.stillpoint.cli.output.VmPrinter;
import dev.stillpoint.engine.vm.VmConnector;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code stillpoint vm snapshot prune-expired DOMAIN|--all}. */
@Command(
        name = "prune-expired",
        mixinStandardHelpOptions = true,
        description =
                "Delete the snapshots whose --expire deadline has passed (children first; external ones merged back).")
public final class VmSnapshotPruneCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = "Domain name or UUID.")
        String domain;

        @Option(names = "--all", description = "Every domain on the connection.")
        boolean all;
    }

    @Mixin
    ConnectOption connect;

    @Option(names = "--json", description = "One {\"type\":\"deleted\"} line per snapshot, then a summary.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        VmPrinter printer = VmPrinter.of(spec, json);
        List<String> deleted;
        try (VmConnector connector = Connectors.open(connect.uri)) {
            deleted = LockedSnapshots.changing(connector, printer).pruneExpired(target.all ? null : target.domain);
        }
        for (String d : deleted) {
            int slash = d.lastIndexOf('/');
            printer.message("deleted", Map.of("domain", d.substring(0, slash), "name", d.substring(slash + 1)));
            printer.line("deleted " + d);
        }
        if (deleted.isEmpty()) printer.line("no expired snapshots");
        printer.summary(Map.of("deleted", deleted.size()));
        return 0;
    }
}
