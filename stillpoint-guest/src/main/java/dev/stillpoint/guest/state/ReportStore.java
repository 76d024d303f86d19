package dev.stillpoint.guest.state;

import dev.stillpoint.guest.ErrorCode;
import dev.stillpoint.guest.GuestException;
import dev.stillpoint.guest.contract.ContractException;
import dev.stillpoint.guest.contract.GuestReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * {@code var/lib/stillpoint/last-report.json} under the root: the report of the last freeze/thaw cycle.
 * A contract: the host reads it through the guest agent after thaw ({@link GuestReport}, docs/hooks.md).
 */
public final class ReportStore {
    public static final String PATH = GuestReport.PATH.substring(1);
    private final Path file;

    public ReportStore(Path root) {
        this.file = root.resolve(PATH);
    }

    public Path file() {
        return file;
    }

    public void write(GuestReport report) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling("last-report.json.tmp");
            Files.writeString(tmp, report.toJson(true) + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new GuestException(ErrorCode.IO, file + ": cannot write report: " + e.getMessage(), e);
        }
    }

    /** The last report, or null when there is none. */
    public GuestReport read() {
        if (!Files.exists(file)) return null;
        try {
            return GuestReport.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException | ContractException e) {
            throw new GuestException(ErrorCode.STATE_CORRUPT, file + ": unreadable report: " + e.getMessage());
        }
    }
}
