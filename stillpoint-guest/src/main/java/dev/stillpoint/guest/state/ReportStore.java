package dev.stillpoint.guest.state;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.guest.ErrorCode;
import dev.stillpoint.guest.GuestException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * {@code var/lib/stillpoint/last-report.json} under the root: the report of the last freeze/thaw cycle.
 * A contract: the host reads it through the guest agent after thaw (format in docs/hooks.md).
 */
public final class ReportStore {
    public static final String PATH = "var/lib/stillpoint/last-report.json";
    private final Path file;

    public ReportStore(Path root) { this.file = root.resolve(PATH); }

    public Path file() { return file; }

    public void write(Map<String, Object> report) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling("last-report.json.tmp");
            Files.writeString(tmp, JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(report) + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new GuestException(ErrorCode.IO, file + ": cannot write report: " + e.getMessage(), e);
        }
    }

    public Map<String, Object> read() {
        if (!Files.exists(file)) return null;
        try {
            return JSON.std.mapFrom(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            throw new GuestException(ErrorCode.STATE_CORRUPT, file + ": unreadable report: " + e.getMessage());
        }
    }
}
