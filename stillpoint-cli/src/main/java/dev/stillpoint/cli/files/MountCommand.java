package dev.stillpoint.cli.files;

import dev.stillpoint.cli.CatalogOption;
import dev.stillpoint.cli.ExitCodes;
import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.engine.files.GuestFiles;
import dev.stillpoint.engine.runs.FuseMounts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stillpoint mount BACKUP DIR --repo R [--json]}: the guest's tree read-only under DIR
 * (FUSE, served by the libguestfs appliance) until {@code stillpoint umount DIR}, Ctrl-C or
 * SIGTERM. A mount left by a killed process is unmounted by the next Stillpoint run.
 */
@Command(
        name = "mount",
        mixinStandardHelpOptions = true,
        description = {
            "Present the guest's tree of one backup read-only under DIR until 'stillpoint umount DIR' (or Ctrl-C).",
            "Runs in the foreground: the backup is served over NBD in-process and read by a libguestfs appliance "
                    + "(never the host's kernel); the guest's /etc/fstab places its filesystems. "
                    + "Filesystems fstab does not place are not mounted ('stillpoint files' shows them)."
        })
public final class MountCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(
            index = "0",
            paramLabel = "BACKUP",
            description = "Backup id from 'stillpoint backups' (unique prefix ok).")
    String backupId;

    @Parameters(index = "1", paramLabel = "DIR", description = "An empty directory to mount on.")
    Path dir;

    @Mixin
    RepoOptions repo;

    @Mixin
    CatalogOption catalogOption;

    @Mixin
    HostKernelOption hostKernel;

    @Option(
            names = "--json",
            description = "Print a {\"type\":\"ready\",...} line once mounted and a summary when unmounted.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Path mountPoint = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(mountPoint) || FuseMounts.mounted(mountPoint.toString()) || !empty(mountPoint)) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "DIR " + mountPoint + " must be an empty directory, not mounted");
        }
        Output out = Output.of(spec, json);
        Runnable unmount = () -> {
            if (FuseMounts.mounted(mountPoint.toString())) FuseMounts.unmount(mountPoint.toString(), true);
        };
        return FilesSession.run(
                repo,
                catalogOption,
                backupId,
                out,
                "mount",
                GuestFiles.Layout.MOUNT,
                hostKernel.enabled(out),
                unmount,
                (files, backup) -> {
                    long t0 = System.nanoTime();
                    files.mount(mountPoint);
                    Map<String, Object> ready = new LinkedHashMap<>();
                    ready.put("backupId", backup.id());
                    ready.put("domain", backup.vmName());
                    ready.put("mountPoint", mountPoint.toString());
                    ready.put("pid", ProcessHandle.current().pid());
                    out.message("ready", ready);
                    out.text("mounted backup " + backup.id() + " (" + backup.vmName() + ") read-only on " + mountPoint
                            + "; 'stillpoint umount " + mountPoint + "' or Ctrl-C unmounts it");
                    files.serveMount();
                    Map<String, Object> summary = new LinkedHashMap<>();
                    summary.put("backupId", backup.id());
                    summary.put("mountPoint", mountPoint.toString());
                    summary.put("seconds", (System.nanoTime() - t0) / 1_000_000 / 1000.0);
                    out.summary(summary, "unmounted " + mountPoint);
                    return ExitCodes.OK;
                });
    }

    private static boolean empty(Path dir) throws java.io.IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
