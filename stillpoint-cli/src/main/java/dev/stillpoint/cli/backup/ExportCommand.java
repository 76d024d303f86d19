package dev.stillpoint.cli.backup;

import dev.stillpoint.cli.CatalogOption;
import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.cli.output.VmPrinter;
import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.export.BackupExport;
import dev.stillpoint.repository.Repository;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URLEncoder;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stillpoint export BACKUP --repo DIR [--disk vda] [--socket PATH | --listen HOST:PORT]
 * [--cache-mib N] [--json]}: serves the disks of one backup read-only over NBD until Ctrl-C or
 * SIGTERM, then removes its socket.
 */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        description = {
            "Serve the disks of one backup read-only over NBD (one export per disk, named by its target).",
            "Clients: qemu-img convert nbd+unix:///vda?socket=PATH, qemu-io, nbdinfo, a VM disk's backing file. "
                    + "Runs in the foreground until Ctrl-C or SIGTERM and removes its socket on exit. "
                    + "The default socket lies in a private directory, readable by root and the group libvirt-qemu."
        })
public final class ExportCommand implements Callable<Integer> {
    /** Group of the hypervisor's user: may connect to the default socket. */
    static final String HYPERVISOR_GROUP = "libvirt-qemu";

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
            names = "--disk",
            paramLabel = "TARGET",
            description = "Serve only this disk (e.g. vda); default: every disk.")
    String disk;

    @ArgGroup(exclusive = true)
    Where where;

    static final class Where {
        @Option(
                names = "--socket",
                paramLabel = "PATH",
                description = "Unix socket to create (default: a private directory under /run/stillpoint).")
        Path socket;

        @Option(
                names = "--listen",
                paramLabel = "HOST:PORT",
                description =
                        "Listen on TCP instead (port 0 picks one). NBD is plaintext: anything but loopback gets a warning.")
        String listen;
    }

    @Option(
            names = "--cache-mib",
            paramLabel = "N",
            defaultValue = "64",
            description = "Decoded chunk cache in MiB (default 64).")
    int cacheMib;

    @Option(
            names = "--json",
            description = "Print a {\"type\":\"ready\",...} JSON line once serving (docs/scripting.md).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (cacheMib < 0 || cacheMib > 65536) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "--cache-mib must be 0..65536, got " + cacheMib);
        }
        InetSocketAddress tcp = where != null && where.listen != null ? parseListen(where.listen) : null;
        Output out = Output.of(spec, json);
        BackupRecord backup;
        try (Catalog catalog = catalogOption.open(repo)) {
            backup = catalog.find(backupId);
        }
        Path privateDir = null;
        try (Repository repository = repo.open();
                BackupExport export = BackupExport.open(repository, backup, disk, (long) cacheMib << 20)) {
            Path socket = null;
            SocketAddress bound;
            if (tcp != null) {
                if (!tcp.getAddress().isLoopbackAddress()) {
                    out.warn(
                            "listening on " + tcp.getAddress().getHostAddress()
                                    + ", not a loopback address: NBD carries the disk data "
                                    + "in plaintext and without authentication; anyone who can reach the port can read the disks");
                }
                bound = export.listen(tcp);
            } else {
                if (where != null && where.socket != null) {
                    socket = where.socket.toAbsolutePath();
                } else {
                    privateDir = privateDirectory(backup.id());
                    socket = privateDir.resolve("nbd.sock");
                }
                bound = export.listen(UnixDomainSocketAddress.of(socket));
                restrict(socket, "rw-rw----");
                if (privateDir != null) restrict(privateDir, "rwx--x---");
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Path dirToRemove = privateDir;
            Thread hook = new Thread(
                    () -> {
                        try {
                            export.close();
                            if (dirToRemove != null) Files.deleteIfExists(dirToRemove);
                            stopped.await(2, TimeUnit.SECONDS); // let the command print why it stopped
                        } catch (IOException | InterruptedException ignored) {
                            // exiting anyway
                        }
                    },
                    "stillpoint-export-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            long t0 = System.nanoTime();
            ready(out, backup, export, socket, bound);
            try {
                export.awaitClose();
            } finally {
                Map<String, Object> summary = new LinkedHashMap<>();
                summary.put("backupId", backup.id());
                summary.put("durationMs", (System.nanoTime() - t0) / 1_000_000);
                out.summary(summary, "stopped: export of backup " + backup.id() + " closed");
                spec.commandLine().getOut().flush();
                stopped.countDown();
            }
            return dev.stillpoint.cli.ExitCodes.OK;
        } finally {
            if (privateDir != null) Files.deleteIfExists(privateDir.resolve("nbd.sock"));
            if (privateDir != null) Files.deleteIfExists(privateDir);
        }
    }

    private void ready(Output out, BackupRecord backup, BackupExport export, Path socket, SocketAddress bound) {
        List<Map<String, Object>> exports = export.disks().stream()
                .map(d -> {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("name", d.name());
                    e.put("size", d.size());
                    e.put("snapshotId", d.snapshotId());
                    e.put("uri", uri(d.name(), socket, bound));
                    return e;
                })
                .toList();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("backupId", backup.id());
        o.put("domain", backup.vmName());
        o.put("socket", socket == null ? null : socket.toString());
        o.put("address", socket == null ? hostPort((InetSocketAddress) bound) : null);
        o.put("exports", exports);
        o.put("pid", ProcessHandle.current().pid());
        out.message("ready", o);
        out.text(
                "exporting backup " + backup.id() + " (" + backup.vmName() + ") read-only; Ctrl-C or SIGTERM stops it");
        for (Map<String, Object> e : exports) {
            out.text("  " + e.get("name") + ": " + e.get("uri") + " (" + VmPrinter.bytes((Long) e.get("size")) + ")");
        }
    }

    /** {@code nbd+unix:///vda?socket=/path} or {@code nbd://host:port/vda} (the NBD URI form qemu and libnbd read). */
    static String uri(String name, Path socket, SocketAddress bound) {
        String n = URLEncoder.encode(name, StandardCharsets.UTF_8);
        if (socket != null) return "nbd+unix:///" + n + "?socket=" + socket;
        return "nbd://" + hostPort((InetSocketAddress) bound) + "/" + n;
    }

    private static String hostPort(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** {@code HOST:PORT}, {@code [V6]:PORT}; the host resolved once. */
    InetSocketAddress parseListen(String value) throws IOException {
        int colon = value.lastIndexOf(':');
        String host = colon > 0 ? value.substring(0, colon) : "";
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        int port = -1;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException | StringIndexOutOfBoundsException ignored) {
            // reported below
        }
        if (host.isEmpty() || port < 0 || port > 65535) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(),
                    "--listen '" + value + "' must be HOST:PORT with a port 0..65535 (e.g. 127.0.0.1:10809)");
        }
        return new InetSocketAddress(InetAddress.getByName(host), port);
    }

    /**
     * A fresh directory for the socket, {@code rwx------} until the socket's mode is set:
     * {@code /run/stillpoint/export-ID-PID} as root, else under {@code $XDG_RUNTIME_DIR} or the
     * temporary directory.
     */
    static Path privateDirectory(String backupId) throws IOException, EngineException {
        Path base;
        Path run = Path.of("/run");
        if (Files.isWritable(run)) base = run.resolve("stillpoint");
        else if (System.getenv("XDG_RUNTIME_DIR") != null)
            base = Path.of(System.getenv("XDG_RUNTIME_DIR"), "stillpoint");
        else base = Path.of(System.getProperty("java.io.tmpdir"), "stillpoint-" + System.getProperty("user.name"));
        Files.createDirectories(base);
        Path dir = base.resolve(
                "export-" + backupId + "-" + ProcessHandle.current().pid());
        try {
            return Files.createDirectory(
                    dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new EngineException(
                    EngineException.Code.EXPORT_FAILED, "cannot create the socket directory " + dir + ": " + e, e);
        }
    }

    /** Sets {@code mode} and, when the group exists, group {@link #HYPERVISOR_GROUP} (root and qemu may connect). */
    static void restrict(Path p, String mode) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class);
        try {
            GroupPrincipal g =
                    p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(HYPERVISOR_GROUP);
            view.setGroup(g);
        } catch (java.nio.file.attribute.UserPrincipalNotFoundException noGroup) {
            // no libvirt on this host: root (the owner) only
        }
        view.setPermissions(PosixFilePermissions.fromString(mode));
    }
}
