package dev.stillpoint.cli.backup;

import dev.stillpoint.cli.CatalogOption;
import dev.stillpoint.cli.ConnectOption;
import dev.stillpoint.cli.Connectors;
import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.Runs;
import dev.stillpoint.cli.output.VmPrinter;
import dev.stillpoint.engine.backup.BackupJob;
import dev.stillpoint.engine.backup.BackupListener;
import dev.stillpoint.engine.backup.BackupOptions;
import dev.stillpoint.engine.backup.BackupResult;
import dev.stillpoint.engine.backup.BlockSourceOpener;
import dev.stillpoint.engine.backup.ConsistencyPolicy;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.catalog.DiskRecord;
import dev.stillpoint.engine.catalog.Phase;
import dev.stillpoint.engine.runs.RunDirectory;
import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import dev.stillpoint.guest.contract.GuestReport;
import dev.stillpoint.repository.Repository;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code stillpoint backup DOMAIN --repo DIR [--full] [--consistency required|preferred]}. */
@Command(
        name = "backup",
        mixinStandardHelpOptions = true,
        description = {
            "Back up a libvirt domain (application-consistent, full or incremental).",
            "Back up a libvirt domain into a repository: freeze the guest (its hooks run), begin a pull-mode backup with a new checkpoint, thaw at once, copy allocated (full) or changed (incremental) extents over NBD, record the backup in the catalog. A shut-off domain is read at rest (clean-shutdown)."
        })
public final class BackupCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DOMAIN", description = "Domain name or UUID.")
    String domainName;

    @Mixin
    RepoOptions repo;

    @Mixin
    CatalogOption catalogOption;

    @Option(names = "--full", description = "Read every allocated extent even when an incremental is possible.")
    boolean full;

    @Option(
            names = "--consistency",
            paramLabel = "required|preferred",
            defaultValue = "preferred",
            description = "When the guest cannot be quiesced: fail (required) or continue crash-consistent "
                    + "(preferred, default).")
    String consistency;

    @Option(
            names = "--freeze-timeout",
            paramLabel = "SECONDS",
            defaultValue = "60",
            description = "Host-side limit for the guest freeze, hooks included (default 60).")
    int freezeTimeout;

    @Mixin
    ConnectOption connect;

    @Option(
            names = "--work-dir",
            paramLabel = "DIR",
            description = "Where NBD sockets and scratch files go (must be usable by libvirt-qemu; default /tmp).")
    Path workDir;

    @Option(
            names = "--json",
            description = "Print JSON lines (phase, progress, warning) and a final summary line (docs/scripting.md).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        ConsistencyPolicy policy = switch (consistency.toLowerCase(Locale.ROOT)) {
            case "required" -> ConsistencyPolicy.REQUIRED;
            case "preferred" -> ConsistencyPolicy.PREFERRED;
            default ->
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "--consistency '" + consistency + "' must be 'required' or 'preferred'");
        };
        if (freezeTimeout < 1 || freezeTimeout > 3600) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--freeze-timeout " + freezeTimeout + " must be 1..3600 seconds");
        }
        VmPrinter printer = VmPrinter.of(spec, json);
        BackupOptions options = BackupOptions.defaults()
                .withForceFull(full)
                .withPolicy(policy)
                .withFreezeTimeout(Duration.ofSeconds(freezeTimeout))
                .withWorkDir(workDir);
        try (VmConnector connector = Connectors.open(connect.uri);
                Repository repository = repo.open();
                Catalog catalog = catalogOption.open(repo)) {
            VmDomain domain = connector
                    .find(domainName)
                    .orElseThrow(() -> new VmException(
                            VmException.Code.NOT_FOUND, "no domain '" + domainName + "' on " + connect.uri));
            RunDirectory runs = Runs.directory();
            BackupJob job = BackupJob.builder()
                    .domain(domain)
                    .repository(repository)
                    .catalog(catalog)
                    .blockSources(BlockSourceOpener.nbd())
                    .options(options)
                    .listener(listener(printer, domain.name()))
                    .runs(runs, Runs.recovery(runs, connector, printer))
                    .build();
            BackupResult result;
            try (SignalCancellation signal = SignalCancellation.install(
                    job::cancel, job::awaitFinished, Duration.ofMinutes(2), "stillpoint-backup-cancel")) {
                try {
                    result = job.run();
                } catch (Exception e) {
                    if (signal.signalled())
                        return signal.reportCancelled(spec.commandLine().getErr(), e);
                    throw e;
                } finally {
                    printer.finishProgress();
                }
            }
            print(printer, result);
            return 0;
        }
    }

    /** Renders the job's events: text, or {@code phase}, {@code progress}, {@code warning} JSON lines. */
    static BackupListener listener(VmPrinter printer, String domain) {
        return new BackupListener() {
            @Override
            public void phaseStarted(Phase phase) {
                printer.phaseStarted(phase.key());
            }

            @Override
            public void phaseFinished(Phase phase, Duration took) {
                printer.phaseFinished(phase.key(), took.toMillis());
            }

            @Override
            public void modeChosen(BackupRecord.Mode mode, String from) {
                printer.line("mode      " + mode.label() + (from == null ? "" : " (from checkpoint " + from + ")"));
            }

            @Override
            public void diskStarted(String disk, long toRead, long size) {
                printer.line("disk " + disk + ": reading " + VmPrinter.bytes(toRead) + " of " + VmPrinter.bytes(size));
            }

            @Override
            public void progress(String disk, long done, long total) {
                printer.progress("backup " + domain + "/" + disk, disk, done, total);
            }

            @Override
            public void diskFinished(String disk, long bytesRead, long storedBytes) {
                printer.diskFinished(disk);
            }

            @Override
            public void warning(String code, String message) {
                printer.warning(code, message);
            }
        };
    }

    /** Phase timings keyed as in the catalog and JSON ({@code preflight}, {@code freeze}, ...), in phase order. */
    static Map<String, Long> phases(BackupRecord r) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Phase p : Phase.values()) {
            Long ms = r.phaseMs().get(p);
            if (ms != null) out.put(p.key(), ms);
        }
        return out;
    }

    /** The in-guest runner's own freeze window (filesystems frozen), or null. */
    static Long guestFreezeWindow(String report) {
        GuestReport r = guestReport(report);
        return r == null ? null : r.freezeWindowMs();
    }

    /** The stored stillpoint-guest report, or null (none, or another runner's). */
    static GuestReport guestReport(String report) {
        if (report == null) return null;
        try {
            return GuestReport.parse(report);
        } catch (dev.stillpoint.guest.contract.ContractException e) {
            return null;
        }
    }

    /**
     * The guest's own figures beside the host's freeze window: {@code ioFrozenMs} (FIFREEZE to FITHAW, guest clock)
     * and {@code ioFrozenBy} (how the guest measured it: runner, hook-script, hook-jvm, watchdog; see GuestReport),
     * {@code appHeldMs} (the longest a lock-holding quiescer held its application) and {@code appHeld} per
     * quiescer, {@code azure} (Azure's code and name of a script failure); absent values are null.
     */
    static Map<String, Object> guestFigures(String report) {
        GuestReport r = guestReport(report);
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("ioFrozenMs", r == null ? null : r.ioFrozenMs());
        o.put("ioFrozenBy", r == null ? null : r.ioFrozenBy());
        o.put("appHeldMs", r == null ? null : r.appHeldMs());
        List<Map<String, Object>> held = new ArrayList<>();
        if (r != null && r.appHeld() != null) for (GuestReport.Held h : r.appHeld()) held.add(h.toMap());
        o.put("appHeld", held);
        o.put("azure", r == null || r.azure() == null ? null : r.azure().toMap());
        return o;
    }

    /**
     * The guest's I/O-frozen window as "N ms", "<=N ms" when the guest could only bound it with a JVM in it
     * ({@code hook-jvm}, {@code watchdog}: an older hook wrapper, or the agent never thawed), or "-".
     */
    static String ioFrozen(String report) {
        GuestReport r = guestReport(report);
        if (r == null || r.ioFrozenMs() == null) return "-";
        boolean bound = "hook-jvm".equals(r.ioFrozenBy()) || "watchdog".equals(r.ioFrozenBy());
        return (bound ? "<=" : "") + r.ioFrozenMs() + " ms";
    }

    /** {@code ms} as "N ms", or "-". */
    static String ms(Long ms) {
        return ms == null ? "-" : ms + " ms";
    }

    /** The {@code summary} line in JSON mode, else the human lines. */
    static void print(VmPrinter printer, BackupResult result) {
        BackupRecord r = result.record();
        if (printer.json()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("backupId", r.id());
            o.put("domain", r.vmName());
            o.put("uuid", r.vmUuid());
            o.put("mode", r.mode().label());
            o.put("consistency", r.consistency().label());
            o.put("checkpoint", r.checkpoint());
            o.put("parentBackup", r.parentBackup());
            o.put("freezeWindowMs", r.freezeWindowMs());
            o.put("guestFreezeWindowMs", guestFreezeWindow(r.guestReport()));
            o.putAll(guestFigures(r.guestReport()));
            o.put("phasesMs", phases(r));
            List<Map<String, Object>> disks = new ArrayList<>();
            for (DiskRecord d : r.disks()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("target", d.target());
                m.put("snapshotId", d.snapshotId());
                m.put("bytesRead", d.bytesRead());
                m.put("diskSize", d.size());
                m.put("storedBytes", d.storedBytes());
                disks.add(m);
            }
            o.put("disks", disks);
            o.put("bytesRead", r.bytesRead());
            o.put("storedBytes", r.bytesStored());
            o.put("diskSize", r.diskSize());
            o.put("durationMs", result.duration().toMillis());
            o.put("throughput", Math.round(result.throughput()));
            Long copyMs = r.phaseMs().get(Phase.COPY);
            o.put("copyThroughput", copyMs == null || copyMs == 0 ? null : r.bytesRead() * 1000 / copyMs);
            o.put("warnings", r.warnings());
            printer.summary(o);
            return;
        }
        Map<String, Object> figures = guestFigures(r.guestReport());
        Long inGuest = guestFreezeWindow(r.guestReport());
        printer.line("backup " + r.id() + " of " + r.vmName() + ": " + r.mode().label() + ", consistency "
                + r.consistency().label()
                + (r.freezeWindowMs() == null
                        ? ""
                        : ", freeze window " + r.freezeWindowMs() + " ms (freeze sent to thaw returned)")
                + (inGuest == null ? "" : ", in-guest " + inGuest + " ms")
                + (figures.get("ioFrozenMs") == null ? "" : ", I/O frozen " + ioFrozen(r.guestReport()))
                + (figures.get("appHeldMs") == null ? "" : ", application held " + figures.get("appHeldMs") + " ms"));
        for (DiskRecord d : r.disks()) {
            printer.line(
                    "  " + d.target() + ": read " + VmPrinter.bytes(d.bytesRead()) + " of " + VmPrinter.bytes(d.size())
                            + ", stored " + VmPrinter.bytes(d.storedBytes()) + " (snapshot " + d.snapshotId() + ")");
        }
        printer.line(String.format(
                Locale.ROOT,
                "  %.1f s, %s/s",
                result.duration().toMillis() / 1000.0,
                VmPrinter.bytes(Math.round(result.throughput()))));
        if (!r.warnings().isEmpty()) printer.line("  " + r.warnings().size() + " warning(s)");
    }
}
