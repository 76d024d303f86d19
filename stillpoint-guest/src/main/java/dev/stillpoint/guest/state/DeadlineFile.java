package dev.stillpoint.guest.state;

import dev.stillpoint.guest.contract.ContractException;
import dev.stillpoint.guest.contract.FreezeDeadline;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The host's freeze budget ({@link FreezeDeadline}, {@code run/stillpoint-freeze-deadline.json} under the root),
 * taken once when a freeze starts: read, then removed whatever it held. The host's input is untrusted: a file
 * that is not a regular file, too long, malformed or out of range is ignored with a warning, and so is one older
 * than {@value FreezeDeadline#MAX_AGE_SECONDS} s (a host that wrote it and never froze). Times are the guest's:
 * the anchor is the file's modification time (the guest kernel's clock when the agent wrote it).
 */
public final class DeadlineFile {
    private final Path file;

    public DeadlineFile(Path root) {
        this.file = root.resolve(FreezeDeadline.PATH.substring(1));
    }

    public Path file() {
        return file;
    }

    /**
     * What {@link #take} found.
     *
     * @param deadline     the host's budget, or null (no file, or ignored)
     * @param anchorMillis when the host wrote it (guest epoch ms, never later than now)
     * @param warning      why a file present was ignored, or null
     */
    public record Taken(FreezeDeadline deadline, long anchorMillis, String warning) {}

    public Taken take(long nowMillis) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return new Taken(null, nowMillis, null); // no file: the guest's own maxFreezeSeconds
        }
        try {
            if (!a.isRegularFile()) return ignored(nowMillis, "not a regular file");
            long mtime = a.lastModifiedTime().toMillis();
            long age = nowMillis - mtime;
            if (age > FreezeDeadline.MAX_AGE_SECONDS * 1000L) {
                return ignored(
                        nowMillis,
                        "stale: written " + age / 1000 + " s ago (more than " + FreezeDeadline.MAX_AGE_SECONDS + " s)");
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                bytes = in.readNBytes(FreezeDeadline.MAX_BYTES + 1);
            }
            return new Taken(
                    FreezeDeadline.parse(new String(bytes, StandardCharsets.UTF_8)), Math.min(mtime, nowMillis), null);
        } catch (ContractException | IOException e) {
            return ignored(nowMillis, e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a leftover is stale next time
            }
        }
    }

    private Taken ignored(long now, String why) {
        return new Taken(null, now, "ignored the host's freeze deadline " + file + ": " + why);
    }
}
