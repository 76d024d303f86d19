package dev.stillpoint.cli.backup;

import dev.stillpoint.cli.CatalogOption;
import dev.stillpoint.cli.ConnectOption;
import dev.stillpoint.cli.Connectors;
import dev.stillpoint.cli.ExitCodes;
import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.Runs;
import dev.stillpoint.cli.instant.DetachedExport;
import dev.stillpoint.cli.output.VmPrinter;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.catalog.Verification;
import dev.stillpoint.engine.runs.RunDirectory;
import dev.stillpoint.engine.runs.RunJournal;
import dev.stillpoint.engine.verify.BootVerification;
import dev.stillpoint.engine.vm.VmConnector;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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

/** {@code stillpoint verify (BACKUP | --latest DOMAIN | --all-unverified) --boot [--probe CMD]...}. */
@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        description = {
            "Prove restore points boot: each is booted in isolation from its export and checked.",
            "Boots the point on throwaway overlays backed by an export of the repository, with a new name, UUID and no "
                    + "network interface; passes when the guest agent answers within --boot-timeout, no ext filesystem "
                    + "reports errors and every --probe (a shell command run in the guest) exits 0. A console "
                    + "screenshot is kept in --evidence; everything else is destroyed afterwards; the result is recorded in the catalog and shown by 'stillpoint backups'. "
                    + "Exit 0 when every point passed, 29 when one failed."
        })
public final class VerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ArgGroup(multiplicity = "1")
    Which which;

    static final class Which {
        @Parameters(index = "0", paramLabel = "BACKUP", description = "Backup id (unique prefix ok).")
        String backupId;

        @Option(names = "--latest", paramLabel = "DOMAIN", description = "The newest complete backup of DOMAIN.")
        String latest;

        @Option(
                names = "--all-unverified",
                description = "Every complete backup without a verification yet (for a timer).")
        boolean allUnverified;
    }

    @Mixin
    RepoOptions repo;

    @Mixin
    CatalogOption catalogOption;

    @Option(names = "--boot", required = true, description = "Boot the point (the only verification there is so far).")
    boolean boot;

    @Option(
            names = "--probe",
            paramLabel = "CMD",
            description = "A shell command run in the booted guest through its agent; must exit 0 (repeatable), "
                    + "e.g. \"pg_isready\", \"systemctl is-system-running --wait\".")
    List<String> probes = new ArrayList<>();

    @Option(
            names = "--boot-timeout",
            paramLabel = "SECONDS",
            defaultValue = "300",
            description = "How long the guest agent may take to answer after the start (default 300).")
    int bootTimeout;

    @Option(
            names = "--work-dir",
            paramLabel = "DIR",
            defaultValue = "/var/lib/libvirt/images",
            description = "Where the throwaway overlays go (usable by libvirt-qemu; default /var/lib/libvirt/images).")
    Path workDir;

    @Option(
            names = "--evidence",
            paramLabel = "DIR",
            description = "Where each booted point's console screenshot is kept (PNG, or PPM when this JDK cannot "
                    + "encode PNG); default $STILLPOINT_STATE_DIR/evidence (/var/lib/stillpoint/evidence). The path "
                    + "is recorded with the verification.")
    Path evidence;

    @Mixin
    ConnectOption connect;

    @Option(names = "--json", description = "One {\"type\":\"verification\"} line per point, then a summary line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        VmPrinter printer = VmPrinter.of(spec, json);
        List<BackupRecord> points;
        try (Catalog catalog = catalogOption.open(repo)) {
            points = select(catalog);
        }
        int failed = 0;
        RunDirectory runs = Runs.directory();
        try (VmConnector connector = Connectors.open(connect.uri)) {
            Runs.recovery(runs, connector, printer).recoverAll(null);
            BootVerification verification = new BootVerification(
                    connector,
                    new DetachedExport(repo.location(), catalogOption.catalog, repo.passwordFile()),
                    Clock.systemUTC());
            for (BackupRecord b : points) {
                Verification v;
                try (RunJournal journal = runs.start(RunDirectory.newRunId(), "verify")) {
                    v = verification.run(
                            b,
                            workDir.toAbsolutePath(),
                            evidenceDir(),
                            probes,
                            Duration.ofSeconds(bootTimeout),
                            journal,
                            step -> printer.line(b.id() + ": " + step));
                }
                try (Catalog catalog = catalogOption.open(repo)) {
                    catalog.insert(v);
                    // the repository's record of the backup carries its newest verification too
                    try (dev.stillpoint.repository.Repository r = repo.open()) {
                        dev.stillpoint.engine.catalog.RepositoryRecords.republish(r, catalog, b.id());
                    } catch (java.io.IOException | RuntimeException e) {
                        printer.warning(
                                "record-not-updated",
                                "the verification of " + b.id()
                                        + " is in the catalog but not in the repository's record: " + e.getMessage());
                    }
                }
                if (!v.passed()) failed++;
                print(printer, b, v);
            }
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("verified", points.size());
        summary.put("passed", points.size() - failed);
        summary.put("failed", failed);
        printer.summary(summary);
        if (!printer.json()) printer.line(points.size() + " point(s) verified, " + failed + " failed");
        return failed == 0 ? 0 : ExitCodes.VERIFY_FAILED;
    }

    private Path evidenceDir() {
        return (evidence != null ? evidence : RunDirectory.defaultStateDir().resolve("evidence")).toAbsolutePath();
    }

    private List<BackupRecord> select(Catalog catalog) throws Exception {
        if (which.backupId != null) return List.of(catalog.find(which.backupId));
        List<BackupRecord> complete = catalog.list(which.latest).stream()
                .filter(BackupRecord::complete)
                .toList();
        if (which.latest != null) {
            if (complete.isEmpty()) {
                throw new dev.stillpoint.engine.EngineException(
                        dev.stillpoint.engine.EngineException.Code.BACKUP_NOT_FOUND,
                        "no complete backup of domain " + which.latest + " in catalog " + catalogOption.path(repo));
            }
            return List.of(complete.getLast());
        }
        Map<String, Verification> done = catalog.latestVerifications();
        return complete.stream().filter(b -> !done.containsKey(b.id())).toList();
    }

    static Map<String, Object> toJson(Verification v) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("backupId", v.backupId());
        o.put("verifiedAt", v.startedAt().toString());
        o.put("passed", v.passed());
        o.put("bootToAgentMs", v.bootToAgentMs());
        o.put("totalMs", v.totalMs());
        o.put("filesystems", v.filesystems());
        o.put("probes", v.probes().stream().map(Verification.Probe::toMap).toList());
        o.put("error", v.error());
        o.put("screenshot", v.screenshot() == null ? null : v.screenshot().toMap());
        return o;
    }

    /** {@code screenshot /path.png (image/png, 720x400)}, or {@code screenshot none: reason}. */
    static String screenshotLine(Verification.Screenshot s) {
        if (s.path() == null) return "screenshot none: " + s.error();
        return "screenshot " + s.path() + " (" + s.mimeType()
                + (s.width() == null ? "" : ", " + s.width() + "x" + s.height()) + ")";
    }

    private static void print(VmPrinter printer, BackupRecord b, Verification v) {
        if (printer.json()) {
            printer.message("verification", toJson(v));
            return;
        }
        printer.line(b.id() + " (" + b.vmName() + ", " + b.startedAt() + "): "
                + (v.passed() ? "PASSED" : "FAILED: " + v.error())
                + (v.bootToAgentMs() == null ? "" : ", agent after " + v.bootToAgentMs() + " ms") + ", " + v.totalMs()
                + " ms in all");
        for (String fs : v.filesystems()) printer.line("  filesystem " + fs);
        if (v.screenshot() != null) printer.line("  " + screenshotLine(v.screenshot()));
        for (Verification.Probe p : v.probes()) {
            printer.line("  probe " + p.command() + ": exit " + p.exitCode()
                    + (p.output().isEmpty()
                            ? ""
                            : ": " + p.output().lines().findFirst().orElse("")));
        }
    }
}
