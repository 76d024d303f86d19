package dev.stillpoint.guest.hooks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** Small stat helpers (owner uid and permission bits as Azure reads them: the last three octal digits). */
public final class FileChecks {
    private FileChecks() {}

    /** Permission bits (mode &amp; 0777), or -1 when the file cannot be stat-ed. */
    public static int mode(Path p) {
        try {
            return ((Integer) Files.getAttribute(p, "unix:mode")) & 0777;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return -1;
        }
    }

    public static int uid(Path p) {
        try {
            return (Integer) Files.getAttribute(p, "unix:uid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return -1;
        }
    }

    public static String octal(int mode) {
        return String.format("%03o", mode);
    }

    public static boolean isRegular(Path p) {
        return Files.isRegularFile(p);
    }

    public static boolean isSymlink(Path p) {
        return Files.isSymbolicLink(p);
    }

    public static boolean exists(Path p) {
        return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
    }

    /** First bytes of a file (for interpreter-line and CRLF checks); empty on error. */
    public static byte[] head(Path p, int max) {
        try (InputStream in = Files.newInputStream(p)) {
            return in.readNBytes(max);
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
