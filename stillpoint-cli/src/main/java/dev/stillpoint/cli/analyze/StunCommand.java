package dev.stillpoint.cli.analyze;

import dev.stillpoint.engine.diagnostics.StunAnalysis;
import dev.stillpoint.engine.diagnostics.StunAnalyzer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code stillpoint analyze stun FILE...}: VMware stun times from vmware.log files. */
@Command(name = "stun", mixinStandardHelpOptions = true,
        description = {"Stun times from VMware vmware.log files (Checkpoint_Unstun lines): statistics, the longest "
                + "stuns, snapshot operations (create / consolidate) and, with --qos-timeout, whether each stun is "
                + "safe for a database mirror's QoS timeout.",
                "Give rotated files too (vmware-1.log ...; gzip is read as well); they are merged in time order."})
public final class StunCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "vmware.log files (plain or gzip)")
    List<Path> files;

    @Option(names = "--qos-timeout", paramLabel = "SECONDS",
            description = "Mirror QoS timeout in seconds (e.g. 8): rate each stun safe (<= half), at risk (> half) "
                    + "or failover (>= timeout).")
    BigDecimal qosTimeout;

    @Option(names = "--group-gap", paramLabel = "SECONDS", defaultValue = "120",
            description = "Stuns closer than this belong to one snapshot operation (default: ${DEFAULT-VALUE}).")
    long groupGapSeconds;

    @Option(names = "--top", paramLabel = "N", defaultValue = "5",
            description = "How many of the longest stuns to list (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--events", description = "With --qos-timeout, list every stun with its verdict "
            + "(by default only at-risk and failover stuns are listed when there are more than "
            + StunTextPrinter.MAX_EVENTS + ").")
    boolean events;

    @Option(names = "--json", description = "Print one JSON document (shape in docs/scripting.md).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        StunAnalyzer.Options options = new StunAnalyzer.Options(groupGap(), qosMicros(), top());
        StunAnalysis analysis = new StunAnalyzer().analyze(files, options);
        if (json) {
            new StunJsonPrinter(spec.commandLine().getOut()).print(analysis);
        } else {
            new StunTextPrinter(spec.commandLine().getOut(), events).print(analysis);
        }
        spec.commandLine().getOut().flush();
        return 0;
    }

    private Duration groupGap() {
        if (groupGapSeconds <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--group-gap: " + groupGapSeconds + " must be a positive number of seconds");
        }
        return Duration.ofSeconds(groupGapSeconds);
    }

    private int top() {
        if (top < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--top: " + top + " must not be negative");
        }
        return top;
    }

    private Long qosMicros() {
        if (qosTimeout == null) {
            return null;
        }
        if (qosTimeout.signum() <= 0 || qosTimeout.compareTo(BigDecimal.valueOf(86_400)) > 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--qos-timeout: " + qosTimeout.toPlainString() + " must be more than 0 and at most 86400 seconds");
        }
        return qosTimeout.movePointRight(6).setScale(0, RoundingMode.CEILING).longValueExact();
    }
}
