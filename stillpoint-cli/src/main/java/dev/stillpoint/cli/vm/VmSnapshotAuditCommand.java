package dev.stillpoint.cli.vm;

import dev.stillpoint.cli.ConnectOption;
import dev.stillpoint.cli.Connectors;
import dev.stillpoint.cli.Runs;
import dev.stillpoint.cli.output.VmPrinter;
import dev.stillpoint.engine.audit.AuditEntry;
import dev.stillpoint.engine.audit.RecoveryLeftovers;
import dev.stillpoint.engine.audit.SnapshotAudit;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.instant.InstantSessions;
import dev.stillpoint.engine.runs.RunDirectory;
import dev.stillpoint.engine.vm.VmConnector;
import java.nio.file.Path;
import java.time.Clock;
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

/** {@code stillpoint vm snapshot audit [DOMAIN]}: what backup tools left on the domains (also {@code snapshots audit}, hidden). */
@Command(
        name = "audit",
        mixinStandardHelpOptions = true,
        description = {
            "List snapshots, overlays and checkpoints left on domains.",
            "List libvirt snapshots, external overlays and checkpoints per domain with age and size; flag checkpoints the catalog does not know and every snapshot/overlay (they grow and slow the VM). Exit code 0 even when something is flagged; see the 'flagged' field."
        })
public class VmSnapshotAuditCommand implements Callable<Integer> {
    /** {@code verify --boot}'s default work directory, scanned for its overlays. */
    static final String VERIFY_WORK_DIR = "/var/lib/libvirt/images";

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "DOMAIN", description = "One domain (default: all).")
    String domain;

    // Not RepoOptions: this --repo only locates the catalog (the repository is never opened, so no
    // passphrase), and an audit without one is valid, so $STILLPOINT_REPOSITORY does not fill it in.
    @Option(
            names = "--repo",
            paramLabel = "DIR",
            description = "Repository whose catalog knows Stillpoint's checkpoints.")
    Path repo;

    @Option(names = "--catalog", paramLabel = "FILE", description = "Catalog file (default: DIR/catalog.db).")
    Path catalog;

    @Mixin
    ConnectOption connect;

    @Option(names = "--json", description = "One {\"type\":\"auditEntry\"} JSON line per entry, then a summary line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        VmPrinter printer = VmPrinter.of(spec, json);
        Path catalogPath = catalog != null ? catalog : repo != null ? Catalog.defaultPath(repo) : null;
        try (VmConnector connector = Connectors.open(connect.uri);
                Catalog c = catalogPath == null ? null : Catalog.open(catalogPath)) {
            if (c == null)
                printer.warning("no-catalog", "no --repo/--catalog: every checkpoint is reported as unknown");
            RunDirectory runs = Runs.directory();
            List<AuditEntry> entries = new SnapshotAudit(connector, c, Clock.systemUTC())
                    .withRuns(runs)
                    .withRecoveryLeftovers(new RecoveryLeftovers(
                            connector,
                            runs,
                            InstantSessions.open(RunDirectory.defaultStateDir()),
                            List.of(Path.of(VERIFY_WORK_DIR)),
                            Clock.systemUTC()))
                    .run(domain);
            if (!json) {
                printer.line(String.format(
                        Locale.ROOT,
                        "%-20s  %-17s  %-36s  %10s  %8s  %-22s  %s",
                        "DOMAIN",
                        "KIND",
                        "NAME",
                        "SIZE",
                        "AGE",
                        "OWNER",
                        "NOTE"));
            }
            for (AuditEntry e : entries) {
                if (json) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("domain", e.domain());
                    o.put("kind", e.kind());
                    o.put("name", e.name());
                    o.put("path", e.path());
                    o.put("sizeBytes", e.sizeBytes());
                    o.put("ageSeconds", e.age() == null ? null : e.age().toSeconds());
                    o.put("owner", e.owner());
                    o.put("flagged", e.flagged());
                    o.put("note", e.note());
                    printer.message("auditEntry", o);
                } else {
                    printer.line(String.format(
                            Locale.ROOT,
                            "%-20s  %-17s  %-36s  %10s  %8s  %-22s  %s%s",
                            e.domain(),
                            e.kind(),
                            e.name(),
                            e.sizeBytes() < 0 ? "?" : VmPrinter.bytes(e.sizeBytes()),
                            e.age() == null ? "?" : VmPrinter.duration(e.age().toSeconds()),
                            e.owner(),
                            e.flagged() ? "! " : "",
                            e.note()));
                }
            }
            if (!json && entries.isEmpty()) printer.line("nothing left behind");
            printer.summary(Map.of(
                    "entries",
                    entries.size(),
                    "flagged",
                    entries.stream().filter(AuditEntry::flagged).count()));
        }
        return 0;
    }
}
