package dev.stillpoint.engine.diagnostics;

import java.util.List;

/**
 * Stuns that belong to one snapshot operation (grouped by time, see {@link StunAnalyzer}).
 *
 * @param number      1-based, in time order
 * @param kind        create or consolidate
 * @param inferred    true when no marker line named the operation and the kind follows the ordering rule
 * @param firstStunEnd time of the first stun's log line
 * @param lastStunEnd  time of the last stun's log line
 * @param evidence    the marker lines that named the kind (empty when inferred)
 */
public record SnapshotOperation(
        int number,
        OperationKind kind,
        boolean inferred,
        LogTimestamp firstStunEnd,
        LogTimestamp lastStunEnd,
        int stuns,
        long maxMicros,
        long totalMicros,
        List<String> evidence) {}
