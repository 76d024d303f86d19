package dev.stillpoint.cli.analyze;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.engine.diagnostics.DurationStats;
import dev.stillpoint.engine.diagnostics.LogTimestamp;
import dev.stillpoint.engine.diagnostics.ParseWarning;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Shared pieces of the analyze commands' JSON (see docs/scripting.md). */
final class JsonShapes {
    /** Writes null values too, so every documented field is always present. */
    static final JSON JSON_WRITER = JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES);

    private JsonShapes() {}

    static Map<String, Object> stats(DurationStats s) {
        if (s == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", s.count());
        m.put("min", s.min());
        m.put("median", s.median());
        m.put("p95", s.p95());
        m.put("max", s.max());
        m.put("total", s.total());
        return m;
    }

    static List<Map<String, Object>> warnings(List<ParseWarning> warnings) {
        return warnings.stream()
                .map(w -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("file", w.file());
                    m.put("line", w.line());
                    m.put("message", w.message());
                    return m;
                })
                .toList();
    }

    static String time(LogTimestamp t) {
        return t == null ? null : t.toString();
    }
}
