package dev.stillpoint.engine.runs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** FUSE mounts of this host ({@code stillpoint mount}): is a path mounted, unmount it. */
public final class FuseMounts {
    private FuseMounts() {}

    /** The filesystem type mounted on {@code path} now (the last mount there), or null. */
    public static String type(String path) {
        String type = null;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                int dash = java.util.Arrays.asList(f).indexOf("-");
                if (f.length > 4
                        && dash > 0
                        && dash + 1 < f.length
                        && unescape(f[4]).equals(path)) type = f[dash + 1];
            }
        } catch (IOException e) {
            return null;
        }
        return type;
    }

    /** True when {@code path} is a mount point now ({@code /proc/self/mountinfo}, octal escapes decoded). */
    public static boolean mounted(String path) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f.length > 4 && unescape(f[4]).equals(path)) return true;
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(s.charAt(i));
            }
        }
        return b.toString();
    }

    /**
     * {@code fusermount -u [-z] PATH} ({@code umount --recursive [--lazy]} for a host-kernel mount; lazy: a dead FUSE server's mount goes even while in use);
     * null, or the error ({@code fusermount}'s message, e.g. busy).
     */
    public static String unmount(String path, boolean lazy) {
        String type = type(path);
        List<String> command = type != null && !type.startsWith("fuse")
                // files --host-kernel: a bind of the tree of host mounts
                ? lazy ? List.of("umount", "--recursive", "--lazy", path) : List.of("umount", "--recursive", path)
                : lazy ? List.of("fusermount", "-u", "-z", path) : List.of("fusermount", "-u", path);
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "fusermount did not return in 30 s";
            }
            return p.exitValue() == 0 ? null : out;
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
