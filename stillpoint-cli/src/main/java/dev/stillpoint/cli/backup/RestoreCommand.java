package dev.stillpoint.cli.backup;

import dev.stillpoint.cli.CatalogOption;
import dev.stillpoint.cli.Connectors;
import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.Runs;
import dev.stillpoint.cli.instant.DetachedExport;
import dev.stillpoint.cli.output.VmPrinter;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.instant.InstantRecovery;
import dev.stillpoint.engine.instant.InstantSession;
import dev.stillpoint.engine.instant.InstantSessions;
import dev.stillpoint.engine.restore.RestoreFormat;
import dev.stillpoint.engine.restore.RestoreJob;
import dev.stillpoint.engine.restore.RestoreListener;
import dev.stillpoint.engine.restore.RestoredDisk;
import dev.stillpoint.engine.restore.RestoredDomain;
import dev.stillpoint.engine.runs.RunDirectory;
import dev.stillpoint.engine.runs.RunJournal;
import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.repository.Repository;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code stillpoint restore BACKUP --repo DIR (--to DIR | --define NEWNAME [--start]) [--format qcow2|raw]}. */
@Command(
        name = "restore",
        mixinStandardHelpOptions = true,
        description = {
            "Restore one backup as disk files or as a new domain.",
            "Restore every disk of one backup (any backup restores alone: no chain replay) into a directory, thin qcow2 (default) or sparse raw; with --define register a new domain from the saved XML (new name, UUID, MAC addresses, disk paths) and optionally start it."
        })
public final class RestoreCommand implements Callable<Integer> {
    static final Path DEFAULT_IMAGES = Path.of("/var/lib/libvirt/images");

    @Spec
    CommandSpec spec;

    @Parameters(
            index = "0",
            paramLabel = "BACKUP",
            description = "Backup id from 'stillpoint backups' (unique prefix ok).")
    String backupId;

    @Mixin
    RepoOptions repo;

    @Mixin
    CatalogOption catalogOption;

    @Option(
            names = "--to",
            paramLabel = "DIR",
            description = "Directory for the disk files (default with --define: /var/lib/libvirt/images).")
    Path to;

    @ArgGroup(exclusive = false)
    Define define;

    static final class Define {
        @Option(
                names = "--define",
                required = true,
                paramLabel = "NEWNAME",
                description = "Define a new domain NEWNAME using the restored disks.")
        String name;

        @Option(names = "--start", description = "Start the new domain.")
        boolean start;

        @Option(
                names = "--instant",
                description =
                        "Start NEWNAME within seconds on local overlays backed by an export of "
                                + "the repository, and copy the data into the overlays while it runs (see 'stillpoint instant').")
        boolean instant;
    }

    @Option(
            names = "--format",
            paramLabel = "qcow2|raw",
            defaultValue = "qcow2",
            description = "Disk format (default qcow2).")
    String format;

    @Option(
            names = "--connect",
            paramLabel = "URI",
            defaultValue = Connectors.DEFAULT_URI,
            description = "libvirt connection URI for --define (default qemu:///system).")
    String uri;

    @Option(names = "--json", description = "Print JSON lines (progress) and a final summary line (docs/scripting.md).")
    boolean json;

    @Option(
            names = "--files",
            arity = "1..*",
            paramLabel = "PATH",
            description =
                    "Restore these guest files or trees (not the disks) into --to DIR, each under its guest path (see 'stillpoint files').")
    List<String> files;

    @picocli.CommandLine.Mixin
    dev.stillpoint.cli.files.HostKernelOption hostKernel;

    @Option(names = "--force", description = "With --files: overwrite files that exist in DIR.")
    boolean force;

    /** {@code --instant}: the domain runs on overlays over a detached export; block pulls move the data behind it. */
    private Integer instant(BackupRecord backup, Path dir, VmPrinter printer, long t0) throws Exception {
        try (VmConnector connector = Connectors.open(uri)) {
            InstantRecovery recovery =
                    new InstantRecovery(connector, InstantSessions.open(RunDirectory.defaultStateDir()));
            DetachedExport export = new DetachedExport(repo.location(), catalogOption.catalog, repo.passwordFile());
            InstantSession s = recovery.start(backup, define.name, dir, export);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            printer.line("domain " + s.domain() + " started from backup " + backup.id() + " in " + ms
                    + " ms; its disks are"
                    + " copied from the export (pid " + s.exportPid() + ") while it runs: 'stillpoint instant list', "
                    + "'stillpoint instant finish " + s.domain() + "'");
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("backupId", backup.id());
            o.put("domain", s.domain());
            o.put("instant", true);
            o.put("started", true);
            o.put("exportPid", s.exportPid());
            o.put("socket", s.socket().toString());
            o.put(
                    "overlays",
                    s.files().stream()
                            .filter(f -> f.toString().endsWith(".qcow2"))
                            .map(Path::toString)
                            .toList());
            o.put("durationMs", ms);
            printer.summary(o);
            return 0;
        }
    }

    @Override
    public Integer call() throws Exception {
        if (files != null) {
            if (to == null || define != null)
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "--files needs --to DIR (and no --define)");
            return dev.stillpoint.cli.files.FileRestore.run(
                    spec, repo, catalogOption, backupId, files, to, force, hostKernel.hostKernel(), json);
        }
        if (to == null && define == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give --to DIR or --define NEWNAME");
        }
        RestoreFormat fmt = switch (format.toLowerCase(Locale.ROOT)) {
            case "qcow2" -> RestoreFormat.QCOW2;
            case "raw" -> RestoreFormat.RAW;
            default ->
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "--format '" + format + "' must be 'qcow2' or 'raw'");
        };
        Path dir = (to != null ? to : DEFAULT_IMAGES).toAbsolutePath();
        VmPrinter printer = VmPrinter.of(spec, json);
        long t0 = System.nanoTime();
        BackupRecord backup;
        try (Catalog catalog = catalogOption.open(repo)) {
            backup = catalog.find(backupId);
        }
        String name = define != null ? define.name : null;
        if (define != null && define.instant) return instant(backup, dir, printer, t0);
        List<RestoredDisk> disks;
        RunDirectory runs = Runs.directory();
        try (VmConnector connector = define != null ? Connectors.open(uri) : null) {
            Runs.recovery(runs, connector, printer).recoverAll(null);
        }
        try (Repository repository = repo.open();
                RunJournal journal = runs.start(RunDirectory.newRunId(), "restore")) {
            RestoreJob job = RestoreJob.create(repository, backup, dir, name, fmt, listener(printer, backup.vmName()))
                    .journal(journal);
            try (SignalCancellation signal = SignalCancellation.install(
                    job::cancel, job::awaitFinished, java.time.Duration.ofMinutes(1), "stillpoint-restore-cancel")) {
                try {
                    disks = job.run();
                } catch (Exception e) {
                    if (signal.signalled())
                        return signal.reportCancelled(spec.commandLine().getErr(), e);
                    throw e;
                } finally {
                    printer.finishProgress();
                }
            }
        }
        for (RestoredDisk d : disks)
            printer.line(d.target() + ": " + d.file() + " (" + VmPrinter.bytes(d.size()) + ")");
        String defined = null;
        if (define != null) {
            try (VmConnector connector = Connectors.open(uri)) {
                VmDomain domain = RestoredDomain.define(connector, backup, disks, define.name, dir, define.start);
                defined = domain.name();
                printer.line("defined domain " + defined + (define.start ? " and started it" : ""));
            }
        }
        printer.summary(
                summary(backup, defined, define != null && define.start, disks, (System.nanoTime() - t0) / 1_000_000));
        return 0;
    }

    /** Renders the job's events: text, or {@code progress} JSON lines ({@code "restore web1/vda"}). */
    static RestoreListener listener(VmPrinter printer, String domain) {
        return new RestoreListener() {
            @Override
            public void progress(String disk, long done, long total) {
                printer.progress("restore " + domain + "/" + disk, disk, done, total);
            }

            @Override
            public void diskFinished(String disk, Path file) {
                printer.diskFinished(disk);
            }

            @Override
            public void converting(String disk, Path file) {
                printer.line(disk + ": converting to " + file);
            }
        };
    }

    /** The fields of the {@code summary} line. */
    static Map<String, Object> summary(
            BackupRecord backup, String definedDomain, boolean started, List<RestoredDisk> disks, long durationMs) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("backupId", backup.id());
        o.put("domain", backup.vmName());
        o.put("definedDomain", definedDomain);
        o.put("started", started);
        o.put(
                "disks",
                disks.stream()
                        .map(d -> Map.<String, Object>of(
                                "target",
                                d.target(),
                                "file",
                                d.file().toString(),
                                "format",
                                d.format().extension(),
                                "diskSize",
                                d.size(),
                                "snapshotId",
                                d.snapshotId()))
                        .toList());
        o.put("durationMs", durationMs);
        return o;
    }
}
