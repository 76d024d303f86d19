package dev.stillpoint.cli.analyze;

import dev.stillpoint.engine.diagnostics.SnapshotOperation;
import dev.stillpoint.engine.diagnostics.StunAnalysis;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** One JSON document for a {@link StunAnalysis}; the shape is documented in docs/scripting.md. */
final class StunJsonPrinter {
    private final PrintWriter out;

    StunJsonPrinter(PrintWriter out) {
        this.out = out;
    }

    void print(StunAnalysis a) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put(
                "files",
                a.files().stream()
                        .map(f -> {
                            Map<String, Object> m = new LinkedHashMap<>();
                            m.put("file", f.file());
                            m.put("stuns", f.stuns());
                            m.put("markers", f.markers());
                            return m;
                        })
                        .toList());
        root.put("stuns", a.entries().size());
        root.put("duplicatesDropped", a.duplicatesDropped());
        root.put("statsUs", JsonShapes.stats(a.stats()));
        root.put("groupGapSeconds", a.groupGapSeconds());
        root.put(
                "operations",
                a.operations().stream().map(StunJsonPrinter::operation).toList());
        root.put("events", a.entries().stream().map(StunJsonPrinter::entry).toList());
        root.put("longest", a.longest().stream().map(StunJsonPrinter::entry).toList());
        root.put("qos", qos(a.qos()));
        root.put("suggestedQosTimeoutSeconds", a.stats() == null ? null : a.suggestedQosTimeoutSeconds());
        root.put("warnings", JsonShapes.warnings(a.warnings()));
        try {
            out.println(JsonShapes.JSON_WRITER.asString(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, Object> operation(SnapshotOperation op) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("number", op.number());
        m.put("kind", op.kind().label());
        m.put("inferred", op.inferred());
        m.put("firstStunEnd", JsonShapes.time(op.firstStunEnd()));
        m.put("lastStunEnd", JsonShapes.time(op.lastStunEnd()));
        m.put("stuns", op.stuns());
        m.put("maxUs", op.maxMicros());
        m.put("totalUs", op.totalMicros());
        m.put("evidence", op.evidence());
        return m;
    }

    private static Map<String, Object> entry(StunAnalysis.Entry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("time", JsonShapes.time(e.event().time()));
        m.put("stunUs", e.event().micros());
        m.put("thread", e.event().thread());
        m.put("file", e.event().file());
        m.put("line", e.event().line());
        m.put("operation", e.operation());
        m.put("verdict", e.verdict() == null ? null : StunTextPrinter.verdictId(e.verdict()));
        return m;
    }

    private static Map<String, Object> qos(StunAnalysis.QosSummary q) {
        if (q == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("timeoutUs", q.timeoutMicros());
        m.put("safe", q.safe());
        m.put("atRisk", q.atRisk());
        m.put("failover", q.failover());
        m.put("verdict", q.failover() > 0 ? "failover" : q.atRisk() > 0 ? "at-risk" : "safe");
        return m;
    }
}
