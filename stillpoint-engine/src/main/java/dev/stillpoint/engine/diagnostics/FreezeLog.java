package dev.stillpoint.engine.diagnostics;

import java.util.List;

/** What one input file gave: markers (text logs) or complete windows (Stillpoint reports). */
public record FreezeLog(
        String file, List<FreezeMarker> markers, List<FreezeWindow> windows, List<ParseWarning> warnings) {}
