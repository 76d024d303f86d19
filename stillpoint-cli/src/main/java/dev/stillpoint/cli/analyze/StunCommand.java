package dev.stillpoint.cli.analyze;

import dev.stillpoint.engine.diagnostics.StunAnalysis;
import dev.stillpoint.engine.diagnostics.StunAnalyzer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code stillpoint analyze stun FILE...}: VMware stun times from vmware.log files. */
@Command(
        name = "stun",
        mixinStandardHelpOptions = true,
        description = {
            "Stun times from VMware vmware.log files (Checkpoint_Unstun lines): statistics, the longest "
                    + "stuns, snapshot operations (create / consolidate) and, with --qos-timeout, whether each stun is "
                    + "safe for a database mirror's QoS timeout.",
            "Give rotated files too (vmware-1.log ...; gzip is read as well); they are merged in time order."
        })
public final class StunCommand implements Callable<Integer> {
    private static final Pattern QOS = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s)?");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "vmware.log files (plain or gzip)")
    List<Path> files;

    @Option(
            names = "--qos-timeout",
            paramLabel = "TIMEOUT",
            description = "Mirror QoS timeout in seconds (8, 2.5, 8s) or milliseconds as the mirror configures it "
                    + "(8000ms): rate each stun safe (<= half), at risk (> half) or failover (>= timeout).")
    String qosTimeout;

    @Option(
            names = "--group-gap",
            paramLabel = "SECONDS",
            defaultValue = "120",
            description = "Stuns closer than this belong to one snapshot operation (default: ${DEFAULT-VALUE}).")
    long groupGapSeconds;

    @Option(
            names = "--top",
            paramLabel = "N",
            defaultValue = "5",
            description = "How many of the longest stuns to list (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(
            names = "--events",
            description = "With --qos-timeout, list every stun with its verdict "
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
        // a monitoring script wants a non-zero exit when a stun endangers the mirror
        return analysis.qos() != null && !analysis.qos().allSafe()
                ? dev.stillpoint.cli.ExitCodes.AT_RISK
                : dev.stillpoint.cli.ExitCodes.OK;
    }

    private Duration groupGap() {
        if (groupGapSeconds <= 0) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--group-gap: " + groupGapSeconds + " must be a positive number of seconds");
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
        Matcher m = QOS.matcher(qosTimeout.strip());
        if (!m.matches()) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--qos-timeout: '" + qosTimeout
                            + "' is not a duration; give seconds (8, 2.5, 8s) or milliseconds (8000ms)");
        }
        BigDecimal value = new BigDecimal(m.group(1));
        boolean millis = "ms".equals(m.group(2));
        if (m.group(2) == null && value.compareTo(BigDecimal.valueOf(1000)) >= 0) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--qos-timeout: " + qosTimeout
                            + " seconds is not a plausible mirror QoS timeout; for milliseconds write "
                            + qosTimeout.strip() + "ms");
        }
        BigDecimal micros = value.movePointRight(millis ? 3 : 6).setScale(0, RoundingMode.CEILING);
        if (micros.signum() <= 0 || micros.compareTo(BigDecimal.valueOf(3_600_000_000L)) > 0) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--qos-timeout: " + qosTimeout + " must be more than 0 and at most 3600 s");
        }
        return micros.longValueExact();
    }
}
