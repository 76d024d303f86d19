package dev.stillpoint.engine.diagnostics;

import java.util.List;

/** What {@link StunLogParser} found in one file, in file order. */
public record StunLog(List<StunEvent> events, List<OperationMarker> markers, List<ParseWarning> warnings) {}
