package dev.stillpoint.cli.vm;

import dev.stillpoint.cli.output.Output;
import dev.stillpoint.engine.diagnostics.FilesystemStateReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** One JSON document for a {@link FilesystemStateReport}; the shape is documented in docs/scripting.md. */
final class FsStateJsonPrinter {
    private final PrintWriter out;

    FsStateJsonPrinter(PrintWriter out) {
        this.out = out;
    }

    void print(FilesystemStateReport r) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("domain", r.domain());
        root.put("freezeStatus", r.freezeStatus());
        root.put(
                "filesystems",
                r.filesystems().stream()
                        .map(fs -> {
                            Map<String, Object> m = new LinkedHashMap<>();
                            m.put("device", fs.device());
                            m.put("type", fs.type());
                            m.put("mountpoints", fs.mountpoints());
                            m.put("state", fs.state());
                            m.put("clean", fs.clean());
                            m.put("error", fs.error());
                            return m;
                        })
                        .toList());
        root.put("otherFilesystems", r.otherFilesystems());
        root.put("note", r.note());
        try {
            out.println(Output.JSON_WRITER.asString(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
