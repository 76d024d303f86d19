package dev.stillpoint.cli.vm;

import dev.stillpoint.engine.diagnostics.FilesystemStateReport;
import dev.stillpoint.engine.diagnostics.GuestFilesystemInspector;
import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmConnectorProvider;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code stillpoint vm fs-state DOMAIN}: clean/not-clean of each ext2/3/4 filesystem and the freeze status. */
@Command(
        name = "fs-state",
        mixinStandardHelpOptions = true,
        description = {
            "Through the guest agent: whether each ext2/ext3/ext4 filesystem of a running guest is "
                    + "clean (dumpe2fs -h, 'Filesystem state') and whether the guest is frozen now.",
            "A frozen guest refuses guest-exec, so then only the freeze status and the devices are shown."
        })
public final class FsStateCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DOMAIN", description = "domain name or UUID")
    String domainName;

    @Option(
            names = {"-c", "--connect"},
            paramLabel = "URI",
            defaultValue = "qemu:///system",
            description = "hypervisor connection (default: ${DEFAULT-VALUE})")
    String uri;

    @Option(
            names = "--timeout",
            paramLabel = "SECONDS",
            defaultValue = "10",
            description = "limit for each agent command and each dumpe2fs run (default: ${DEFAULT-VALUE})")
    long timeoutSeconds;

    @Option(names = "--json", description = "Print one JSON document (shape in docs/scripting.md).")
    boolean json;

    private final VmConnectorProvider provider;

    /** Uses the connector registered through {@link java.util.ServiceLoader} (the libvirt module). */
    public FsStateCommand() {
        this(null);
    }

    /** Uses {@code provider} (tests, or a front end that wires its own connector). */
    public FsStateCommand(VmConnectorProvider provider) {
        this.provider = provider;
    }

    @Override
    public Integer call() throws Exception {
        if (timeoutSeconds <= 0) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--timeout: " + timeoutSeconds + " must be positive");
        }
        FilesystemStateReport report;
        try (VmConnector connector = provider().open(uri)) {
            VmDomain domain = connector
                    .find(domainName)
                    .orElseThrow(() -> new VmException(
                            VmException.Code.NOT_FOUND, "domain '" + domainName + "' not found on " + uri));
            report = new GuestFilesystemInspector().inspect(domain, Duration.ofSeconds(timeoutSeconds));
        }
        if (json) {
            new FsStateJsonPrinter(spec.commandLine().getOut()).print(report);
        } else {
            new FsStateTextPrinter(spec.commandLine().getOut()).print(report);
        }
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** The injected provider, else the one the backup commands use. */
    private VmConnectorProvider provider() throws VmException {
        return provider != null ? provider : dev.stillpoint.cli.Connectors.provider(uri);
    }
}
