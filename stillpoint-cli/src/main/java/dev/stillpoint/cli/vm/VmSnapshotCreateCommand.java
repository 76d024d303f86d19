package dev.stillpoint.cli.vm;

import dev.stillpoint.cli.ConnectOption;
import dev.stillpoint.cli.Connectors;
import dev.stillpoint.cli.output.VmPrinter;
import dev.stillpoint.engine.backup.BackupOptions;
import dev.stillpoint.engine.backup.ConsistencyPolicy;
import dev.stillpoint.engine.snapshot.VmSnapshots;
import dev.stillpoint.engine.vm.VmConnector;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code stillpoint vm snapshot create DOMAIN [NAME]}. */
@Command(
        name = "create",
        mixinStandardHelpOptions = true,
        description = {
            "Create a libvirt snapshot of a domain.",
            "Running domain: --memory (internal, the VM's memory saved inside the qcow2) or --external DIR "
                    + "(disk-only overlays DIR/DISK.NAME.qcow2; with --quiesce the guest is frozen through the same "
                    + "path and hooks as a backup, exit 21 when it cannot be). Shut-off domain: internal, disk only. "
                    + "The consistency and the expiry are recorded in the snapshot's description."
        })
public final class VmSnapshotCreateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DOMAIN", description = "Domain name or UUID.")
    String domain;

    @Parameters(
            index = "1",
            arity = "0..1",
            paramLabel = "NAME",
            description = "Snapshot name (default sp-YYYYMMDDTHHMMSS, UTC).")
    String name;

    @Option(
            names = "--quiesce",
            description =
                    "Freeze the guest's filesystems (and run its hooks) around a disk-only snapshot; fail when that is impossible.")
    boolean quiesce;

    @Option(
            names = "--memory",
            description =
                    "Internal snapshot including the running VM's memory (reverting resumes the VM where it was).")
    boolean memory;

    @Option(
            names = "--external",
            paramLabel = "DIR",
            description = "External disk-only snapshot: one overlay per disk, DIR/DISK.NAME.qcow2.")
    Path external;

    @Option(
            names = "--expire",
            paramLabel = "DURATION",
            converter = SnapshotDurations.class,
            description =
                    "Deadline from now (30m, 12h, 7d, 2w, PT36H): 'vm snapshot audit' flags it after, 'prune-expired' deletes it.")
    Duration expire;

    @Option(names = "--description", paramLabel = "TEXT", description = "Free text kept with the snapshot.")
    String description;

    @Option(
            names = "--freeze-timeout",
            paramLabel = "SECONDS",
            defaultValue = "60",
            description = "Limit for the freeze, hooks included (default ${DEFAULT-VALUE}).")
    long freezeTimeout;

    @Mixin
    ConnectOption connect;

    @Option(
            names = "--json",
            description = "JSON lines: warnings, then {\"type\":\"summary\",...} (docs/scripting.md).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        VmPrinter printer = VmPrinter.of(spec, json);
        BackupOptions freeze = BackupOptions.defaults()
                .withPolicy(ConsistencyPolicy.REQUIRED)
                .withFreezeTimeout(Duration.ofSeconds(freezeTimeout));
        VmSnapshots.Created c;
        long t0 = System.nanoTime();
        try (VmConnector connector = Connectors.open(connect.uri)) {
            c = LockedSnapshots.changing(connector, printer)
                    .create(
                            domain,
                            new VmSnapshots.CreateOptions(
                                    name, description, quiesce, memory, external, expire, freeze));
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("domain", domain);
        m.put("name", c.name());
        m.put("kind", c.kind());
        m.put("memory", memory);
        m.put("consistency", c.metadata().consistency());
        m.put(
                "expires",
                c.metadata().expires() == null ? null : c.metadata().expires().toString());
        Map<String, String> overlays = new LinkedHashMap<>();
        c.overlays().forEach((k, v) -> overlays.put(k, v.toString()));
        m.put("overlays", overlays);
        m.put("freezeWindowMs", c.quiesce() == null ? null : c.quiesce().freezeWindowMs());
        m.put("ms", ms);
        printer.summary(m);
        printer.line("created " + c.kind() + " snapshot " + c.name() + " of " + domain + " ("
                + c.metadata().consistency()
                + (c.quiesce() != null && c.quiesce().freezeWindowMs() != null
                        ? ", frozen " + c.quiesce().freezeWindowMs() + " ms"
                        : "")
                + (c.metadata().expires() == null
                        ? ""
                        : ", expires " + c.metadata().expires()) + ") in " + ms + " ms");
        overlays.forEach((k, v) -> printer.line("  " + k + " -> " + v));
        return 0;
    }
}
