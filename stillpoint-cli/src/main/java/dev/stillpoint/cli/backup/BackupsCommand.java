package dev.stillpoint.cli.backup;

import dev.stillpoint.cli.CatalogOption;
import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.VmPrinter;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.catalog.DiskRecord;
import dev.stillpoint.engine.catalog.Verification;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code stillpoint backups --repo DIR [--domain NAME] [--json]}: the catalog, oldest first. */
@Command(
        name = "backups",
        mixinStandardHelpOptions = true,
        description = "List VM backups recorded in the catalog (ids for 'stillpoint restore').")
public final class BackupsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    RepoOptions repo;

    @Mixin
    CatalogOption catalogOption;

    @Option(names = "--domain", paramLabel = "NAME", description = "Only backups of this domain.")
    String domain;

    @Option(names = "--all", description = "Include failed attempts.")
    boolean all;

    @Option(
            names = "--json",
            description = "Print one {\"type\":\"backup\"} JSON line per backup, then a summary line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        VmPrinter printer = VmPrinter.of(spec, json);
        try (Catalog catalog = catalogOption.open(repo)) {
            List<BackupRecord> list = catalog.list(domain).stream()
                    .filter(r -> all || r.complete())
                    .toList();
            Map<String, Verification> verified = catalog.latestVerifications();
            if (!json) {
                printer.line(String.format(
                        Locale.ROOT,
                        "%-16s  %-20s  %-16s  %-11s  %-14s  %9s  %9s  %9s  %10s  %10s  %s",
                        "ID",
                        "TIME",
                        "DOMAIN",
                        "MODE",
                        "CONSISTENCY",
                        "FREEZE",
                        "IO-FROZEN",
                        "APP-HELD",
                        "READ",
                        "STORED",
                        "BOOT-VERIFIED"));
            }
            for (BackupRecord r : list) {
                Verification v = verified.get(r.id());
                if (json) {
                    Map<String, Object> o = toJson(r);
                    o.put("verification", v == null ? null : VerifyCommand.toJson(v));
                    printer.message("backup", o);
                } else {
                    printer.line(String.format(
                            Locale.ROOT,
                            "%-16s  %-20s  %-16s  %-11s  %-14s  %9s  %9s  %9s  %10s  %10s  %s",
                            r.id(),
                            r.startedAt().toString().substring(0, 19) + "Z",
                            r.vmName(),
                            modeOrStatus(r),
                            r.consistency() == null ? "-" : r.consistency().label(),
                            r.freezeWindowMs() == null ? "-" : r.freezeWindowMs() + " ms",
                            BackupCommand.ioFrozen(r.guestReport()),
                            BackupCommand.ms((Long)
                                    BackupCommand.guestFigures(r.guestReport()).get("appHeldMs")),
                            VmPrinter.bytes(r.bytesRead()),
                            VmPrinter.bytes(r.bytesStored()),
                            v == null
                                    ? "-"
                                    : v.passed()
                                            ? "passed "
                                                    + v.startedAt().toString().substring(0, 10)
                                            : "FAILED "
                                                    + v.startedAt().toString().substring(0, 10)));
                    if (v != null && v.screenshot() != null)
                        printer.line("  " + VerifyCommand.screenshotLine(v.screenshot()));
                }
            }
            printer.summary(Map.of("backups", list.size()));
        }
        return 0;
    }

    /** The MODE column: the mode of a complete backup, else "failed" or "interrupted" (its process died). */
    static String modeOrStatus(BackupRecord r) {
        if (r.complete()) return r.mode().label();
        return r.error() != null && r.error().startsWith(BackupRecord.INTERRUPTED)
                ? BackupRecord.INTERRUPTED
                : r.status().label();
    }

    static Map<String, Object> toJson(BackupRecord r) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("backupId", r.id());
        o.put("domain", r.vmName());
        o.put("uuid", r.vmUuid());
        o.put("startedAt", r.startedAt().toString());
        o.put("finishedAt", r.finishedAt() == null ? null : r.finishedAt().toString());
        o.put("status", r.status().label());
        o.put("mode", r.mode() == null ? null : r.mode().label());
        o.put("consistency", r.consistency() == null ? null : r.consistency().label());
        o.put("checkpoint", r.checkpoint());
        o.put("parentBackup", r.parentBackup());
        o.put("freezeWindowMs", r.freezeWindowMs());
        o.putAll(BackupCommand.guestFigures(r.guestReport()));
        o.put("phasesMs", BackupCommand.phases(r));
        o.put("bytesRead", r.bytesRead());
        o.put("storedBytes", r.bytesStored());
        o.put("diskSize", r.diskSize());
        o.put("disks", r.disks().stream().map(BackupsCommand::disk).toList());
        o.put("warnings", r.warnings());
        if (r.error() != null) o.put("error", r.error());
        return o;
    }

    private static Map<String, Object> disk(DiskRecord d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("target", d.target());
        m.put("source", d.source());
        m.put("format", d.format());
        m.put("diskSize", d.size());
        m.put("snapshotId", d.snapshotId());
        m.put("parentSnapshot", d.parentSnapshot());
        m.put("bytesRead", d.bytesRead());
        m.put("storedBytes", d.storedBytes());
        return m;
    }
}
