package dev.stillpoint.engine.diagnostics;

/**
 * A vmware.log line that names a snapshot operation (see package-info for the words matched).
 *
 * @param text the line, shortened to 120 characters
 */
public record OperationMarker(LogTimestamp time, OperationKind kind, String file, int line, String text) {}
