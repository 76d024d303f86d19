package dev.stillpoint.cli.vm;

import dev.stillpoint.engine.diagnostics.FilesystemState;
import dev.stillpoint.engine.diagnostics.FilesystemStateReport;
import java.io.PrintWriter;
import java.util.Locale;

/** Text rendering of a {@link FilesystemStateReport}. */
final class FsStateTextPrinter {
    private final PrintWriter out;

    FsStateTextPrinter(PrintWriter out) {
        this.out = out;
    }

    void print(FilesystemStateReport r) {
        out.printf(Locale.ROOT, "%s: guest filesystems are %s%n", r.domain(), r.freezeStatus());
        if (r.note() != null) {
            out.println("  " + r.note());
        } else if (r.filesystems().isEmpty()) {
            out.println("No ext2/ext3/ext4 filesystems reported by the guest agent.");
        }
        for (FilesystemState fs : r.filesystems()) {
            String state = fs.state() != null ? fs.state() : "unknown";
            out.printf(
                    Locale.ROOT,
                    "  %-16s %-5s %-12s %s%n",
                    fs.device(),
                    fs.type(),
                    state,
                    String.join(", ", fs.mountpoints()));
            if (fs.error() != null) {
                out.printf(Locale.ROOT, "      %s%n", fs.error());
            }
        }
        if (r.otherFilesystems() > 0) {
            out.printf(
                    Locale.ROOT,
                    "(%d other filesystem(s) not inspected: only ext2/3/4 have this state)%n",
                    r.otherFilesystems());
        }
    }
}
