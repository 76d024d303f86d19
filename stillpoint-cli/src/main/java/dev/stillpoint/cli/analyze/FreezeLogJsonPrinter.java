package dev.stillpoint.cli.analyze;

import dev.stillpoint.engine.diagnostics.FreezeLogAnalysis;
import dev.stillpoint.engine.diagnostics.FreezeWindow;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** One JSON document for a {@link FreezeLogAnalysis}; the shape is documented in docs/scripting.md. */
final class FreezeLogJsonPrinter {
    private final PrintWriter out;

    FreezeLogJsonPrinter(PrintWriter out) {
        this.out = out;
    }

    void print(FreezeLogAnalysis a) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put(
                "files",
                a.files().stream()
                        .map(f -> {
                            Map<String, Object> m = new LinkedHashMap<>();
                            m.put("file", f.file());
                            m.put("formats", f.formats());
                            m.put("entries", f.entries());
                            return m;
                        })
                        .toList());
        root.put(
                "windows",
                a.windows().stream().map(FreezeLogJsonPrinter::window).toList());
        root.put("statsMs", JsonShapes.stats(a.stats()));
        root.put("anomalies", JsonShapes.warnings(a.anomalies()));
        root.put("warnings", JsonShapes.warnings(a.warnings()));
        try {
            out.println(JsonShapes.JSON_WRITER.asString(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> window(FreezeWindow w) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", w.key());
        m.put("format", w.format().id());
        m.put("outcome", w.outcome().label());
        m.put("frozenAt", JsonShapes.time(w.frozenAt()));
        m.put("endedAt", JsonShapes.time(w.endedAt()));
        m.put("durationMs", w.durationMs());
        m.put("file", w.file());
        m.put("line", w.line());
        m.put("extraFreezes", w.extraFreezes());
        m.put(
                "hooks",
                w.hooks().stream()
                        .map(h -> {
                            Map<String, Object> hm = new LinkedHashMap<>();
                            hm.put("name", h.name());
                            hm.put("phase", h.phase());
                            hm.put("result", h.result());
                            hm.put("exitCode", h.exitCode());
                            hm.put("durationMs", h.durationMs());
                            return hm;
                        })
                        .toList());
        return m;
    }
}
