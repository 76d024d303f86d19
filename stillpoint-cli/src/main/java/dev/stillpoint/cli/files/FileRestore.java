package dev.stillpoint.cli.files;

import dev.stillpoint.cli.CatalogOption;
import dev.stillpoint.cli.ExitCodes;
import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.engine.export.BackupExport;
import dev.stillpoint.engine.files.GuestFiles;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code stillpoint restore BACKUP --files PATH... --to DIR [--force]}: copies files or trees of
 * the guest out of one backup into DIR (each under its guest path), through the same appliance
 * as {@code files}.
 */
public final class FileRestore {
    private FileRestore() {}

    public static int run(
            CommandSpec spec,
            RepoOptions repo,
            CatalogOption catalog,
            String backupId,
            List<String> paths,
            Path to,
            boolean force,
            boolean hostKernel,
            boolean json)
            throws Exception {
        Output out = Output.of(spec, json);
        GuestFiles.refuseExisting(paths, to, force);
        if (hostKernel) HostKernelOption.warnFor(out);
        return FilesSession.run(
                repo,
                catalog,
                backupId,
                out,
                "restore-files",
                GuestFiles.Layout.BROWSE,
                hostKernel,
                null,
                (files, backup) -> {
                    GuestFiles.RestoreSummary s = files.restore(paths, to, force);
                    Map<String, Object> summary = new LinkedHashMap<>();
                    summary.put("backupId", backup.id());
                    summary.put("paths", paths);
                    summary.put("to", to.toAbsolutePath().toString());
                    summary.put("files", s.files());
                    summary.put("bytes", s.bytes());
                    summary.put("skipped", s.skipped());
                    summary.put("seconds", s.millis() / 1000.0);
                    BackupExport.ReadCount read = files.repositoryReads();
                    summary.put("repositoryChunks", read.chunks());
                    summary.put("repositoryBytes", read.bytes());
                    out.summary(
                            summary,
                            String.format(
                                    "restored %d files (%s) from backup %s into %s in %.1f s%s; read %d chunks (%s) from the repository",
                                    s.files(),
                                    Output.bytes(s.bytes()),
                                    backup.id(),
                                    to.toAbsolutePath(),
                                    s.millis() / 1000.0,
                                    s.skipped() > 0 ? ", " + s.skipped() + " skipped" : "",
                                    read.chunks(),
                                    Output.bytes(read.bytes())));
                    return ExitCodes.OK;
                });
    }
}
