package dev.stillpoint.engine.diagnostics;

import java.util.List;

/**
 * Result of {@link FreezeLogAnalyzer#analyze}.
 *
 * @param files     per input file: name, format(s) found, markers/windows read
 * @param windows   all windows in start-time order (reports without a start time last)
 * @param stats     statistics over the durations (ms) of windows that ended thawed (also by the watchdog); null when none did
 * @param anomalies thaws without a freeze, freezes without a thaw, negative durations
 * @param warnings  lines skipped while reading
 */
public record FreezeLogAnalysis(
        List<FileSummary> files,
        List<FreezeWindow> windows,
        DurationStats stats,
        List<ParseWarning> anomalies,
        List<ParseWarning> warnings) {

    public record FileSummary(String file, List<String> formats, int entries) {}
}
