package dev.stillpoint.engine.diagnostics;

import java.util.List;

/**
 * Result of {@link StunAnalyzer#analyze}.
 *
 * @param files                   per input file: name, stun lines, marker lines
 * @param entries                 every stun in time order with its operation and QoS verdict
 * @param duplicatesDropped       repeated stun lines (same time, value and thread; overlapping files) counted once
 * @param stats                   statistics in microseconds; null when there are no stuns
 * @param operations              snapshot operations in time order
 * @param longest                 the longest stuns, longest first
 * @param qos                     the QoS summary; null when no timeout was given
 * @param suggestedQosTimeoutSeconds smallest whole-second timeout at least twice the longest stun; 0 without stuns
 * @param groupGapSeconds         stuns closer than this belong to one operation
 * @param warnings                skipped lines and assumptions
 */
public record StunAnalysis(
        List<FileSummary> files,
        List<Entry> entries,
        int duplicatesDropped,
        DurationStats stats,
        List<SnapshotOperation> operations,
        List<Entry> longest,
        QosSummary qos,
        long suggestedQosTimeoutSeconds,
        long groupGapSeconds,
        List<ParseWarning> warnings) {

    /** One stun with the number of its operation and, when a timeout was given, its verdict (else null). */
    public record Entry(StunEvent event, int operation, QosVerdict verdict) {}

    public record FileSummary(String file, int stuns, int markers) {}

    /** Counts per verdict for {@code timeoutMicros}. */
    public record QosSummary(long timeoutMicros, int safe, int atRisk, int failover) {
        public boolean allSafe() {
            return atRisk == 0 && failover == 0;
        }
    }
}
