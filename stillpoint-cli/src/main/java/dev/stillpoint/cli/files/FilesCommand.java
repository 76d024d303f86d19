package dev.stillpoint.cli.files;

import dev.stillpoint.cli.CatalogOption;
import dev.stillpoint.cli.ExitCodes;
import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.export.BackupExport;
import dev.stillpoint.engine.files.GuestEntry;
import dev.stillpoint.engine.files.GuestFiles;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stillpoint files BACKUP [PATH] [--find GLOB] --repo DIR [--json]}: lists a directory of
 * the guest as the backup holds it, or searches every filesystem, without restoring the disks.
 */
@Command(
        name = "files",
        mixinStandardHelpOptions = true,
        description = {
            "List a directory of the guest as one backup holds it (like ls -l), or search it with --find.",
            "Reads the backup in place: its disks are served over NBD in-process and read by a libguestfs appliance "
                    + "(its own kernel parses the guest's filesystems, never the host's); the guest's /etc/fstab places each "
                    + "filesystem, and what it cannot place is shown under /.stillpoint/unplaced/<device>. "
                    + "The appliance takes ~15 s to start (TCG)."
        })
public final class FilesCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC);

    @Spec
    CommandSpec spec;

    @Parameters(
            index = "0",
            paramLabel = "BACKUP",
            description = "Backup id from 'stillpoint backups' (unique prefix ok); with --history, the domain's name.")
    String backupId;

    @Parameters(
            index = "1",
            arity = "0..1",
            paramLabel = "PATH",
            defaultValue = "/",
            description = "Guest directory or file (default /).")
    String path;

    @Mixin
    RepoOptions repo;

    @Mixin
    CatalogOption catalogOption;

    @Mixin
    HostKernelOption hostKernel;

    @Option(
            names = "--find",
            paramLabel = "GLOB",
            description =
                    "Search every filesystem: GLOB matches names ('*.conf'), or whole guest paths when it holds a '/' ('/etc/**/*.conf').")
    String find;

    @Option(
            names = "--history",
            description = "'files --history DOMAIN PATH': the domain's restore points (newest first) that hold PATH, "
                    + "with its size and mtime in each (each point is opened in turn: use --host-kernel for speed).")
    boolean history;

    @Option(
            names = "--json",
            description = "One {\"type\":\"entry\",...} line per file, then a summary line (docs/scripting.md).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Output out = Output.of(spec, json);
        if (history) return history(out);
        return FilesSession.run(
                repo,
                catalogOption,
                backupId,
                out,
                "files",
                GuestFiles.Layout.BROWSE,
                hostKernel.enabled(out),
                null,
                (files, backup) -> {
                    List<GuestEntry> entries = find != null ? files.find(find) : files.list(path);
                    for (GuestEntry e : entries) print(out, e);
                    Map<String, Object> summary = new LinkedHashMap<>();
                    summary.put("backupId", backup.id());
                    summary.put("path", find != null ? null : path);
                    summary.put("find", find);
                    summary.put("entries", entries.size());
                    BackupExport.ReadCount read = files.repositoryReads(); // one reading: chunks and bytes agree
                    summary.put("repositoryChunks", read.chunks());
                    summary.put("repositoryBytes", read.bytes());
                    summary.put(
                            "filesystems",
                            files.filesystems().stream()
                                    .map(FilesCommand::filesystem)
                                    .toList());
                    out.summary(summary, null);
                    return ExitCodes.OK;
                });
    }

    private int history(Output out) throws Exception {
        if (find != null
                || path.equals("/")
                        && spec.commandLine()
                                        .getParseResult()
                                        .matchedPositionals()
                                        .size()
                                < 2)
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--history needs DOMAIN PATH (and no --find)");
        List<BackupRecord> points;
        try (Catalog c = catalogOption.open(repo)) {
            points = new java.util.ArrayList<>(
                    c.list(backupId).stream().filter(BackupRecord::complete).toList());
        }
        if (points.isEmpty())
            throw new EngineException(Code.BACKUP_NOT_FOUND, "no complete backup of domain " + backupId);
        points.sort(java.util.Comparator.comparing(BackupRecord::startedAt).reversed());
        boolean fast = hostKernel.enabled(out);
        int holding = 0;
        for (BackupRecord point : points) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("backupId", point.id());
            m.put("startedAt", point.startedAt().toString());
            Optional<GuestEntry> e;
            try {
                e = FilesSession.run(
                        repo,
                        catalogOption,
                        point.id(),
                        out,
                        "files",
                        GuestFiles.Layout.BROWSE,
                        fast,
                        null,
                        (files, backup) -> files.entry(path));
            } catch (EngineException failed) {
                out.warn("backup " + point.id() + ": " + failed.getMessage());
                m.put("present", null);
                m.put("error", failed.getMessage());
                out.message("point", m);
                out.text(String.format(
                        "%s  %s  %s", TIME.format(point.startedAt()), point.id(), "error: " + failed.getMessage()));
                continue;
            }
            m.put("present", e.isPresent());
            if (e.isPresent()) {
                holding++;
                m.put("kind", e.get().kind().label());
                m.put("size", e.get().size());
                m.put("mtime", e.get().mtime().toString());
                m.put("mode", String.format("%04o", e.get().mode()));
                m.put("uid", e.get().uid());
                m.put("gid", e.get().gid());
            }
            out.message("point", m);
            out.text(e.map(x -> String.format(
                            "%s  %s  %s %12d  %s",
                            TIME.format(point.startedAt()),
                            point.id(),
                            x.modeString(),
                            x.size(),
                            TIME.format(x.mtime())))
                    .orElse(String.format("%s  %s  (absent)", TIME.format(point.startedAt()), point.id())));
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("domain", backupId);
        summary.put("path", path);
        summary.put("points", points.size());
        summary.put("holding", holding);
        out.summary(summary, holding + " of " + points.size() + " restore points of " + backupId + " hold " + path);
        return ExitCodes.OK;
    }

    private static Map<String, Object> filesystem(GuestFiles.MountedFilesystem fs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("device", fs.device());
        m.put("type", fs.type());
        m.put("uuid", fs.uuid());
        m.put("label", fs.label());
        m.put("mountPoint", fs.mountPoint());
        return m;
    }

    static void print(Output out, GuestEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", e.path());
        m.put("kind", e.kind().label());
        m.put("mode", String.format("%04o", e.mode()));
        m.put("uid", e.uid());
        m.put("gid", e.gid());
        m.put("size", e.size());
        m.put("mtime", e.mtime().toString());
        m.put("links", e.links());
        m.put("target", e.target());
        out.message("entry", m);
        out.text(String.format(
                "%s %3d %5d %5d %12d %s %s%s",
                e.modeString(),
                e.links(),
                e.uid(),
                e.gid(),
                e.size(),
                TIME.format(e.mtime()),
                printable(e.path()),
                e.target() != null ? " -> " + printable(e.target()) : ""));
    }

    /** Names may hold newlines and control characters: shown escaped in text (JSON carries them as they are). */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '\n') b.append("\\n");
            else if (c == '\\') b.append("\\\\");
            else if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }
}
