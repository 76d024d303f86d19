package dev.stillpoint.guest.hooks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The one rule for files that run as root, shared by {@code doctor} (which reports it) and the runner (which
 * refuses to run a hook that breaks it): the file, the directory holding it and every directory above it up to
 * {@code /} must be owned by root and writable by nobody else. A symlinked hook (or directory) is checked along
 * its target's path too. Exceptions: a directory above the one holding the file may be writable by others when
 * it is sticky and owned by root ({@code /tmp}: others cannot replace what root owns there); a file's group
 * write bit is accepted when guest.conf says so for that hook ({@code acceptGroupWritable = true}).
 */
public final class HookSecurity {
    private HookSecurity() {}

    /** Stable rule names (doctor's finding codes carry the same names). */
    public enum Rule {
        GROUP_WORLD_WRITABLE,
        OWNER_NOT_ROOT,
        DIR_WRITABLE,
        DIR_OWNER_NOT_ROOT
    }

    /** One broken rule: which file (guest path when it lies below the root) and why. */
    public record Violation(Rule rule, String file, String reason) {
        @Override
        public String toString() {
            return rule + " " + file + ": " + reason;
        }
    }

    /** Violations as one line: {@code RULE file: reason; RULE file: reason}. */
    public static String describe(List<Violation> vs) {
        List<String> out = new ArrayList<>();
        for (Violation v : vs) out.add(v.toString());
        return String.join("; ", out);
    }

    /** Violations of every file a hook runs (none for built-ins, which run no file). */
    public static List<Violation> check(Path root, Hook h) {
        List<Violation> out = new ArrayList<>();
        for (String f : h.files) out.addAll(check(root, Path.of(f), h.acceptGroupWritable));
        return out;
    }

    /** Violations of one file that runs as root; a missing file has none (it cannot run). */
    public static List<Violation> check(Path root, Path file, boolean acceptGroupWritable) {
        List<Violation> out = new ArrayList<>();
        Path abs = file.toAbsolutePath().normalize();
        if (!Files.exists(abs)) return out;
        Path real;
        try {
            real = abs.toRealPath();
        } catch (IOException e) {
            return out;
        }
        String name = display(root, abs) + (real.equals(abs) ? "" : " (-> " + display(root, real) + ")");
        int mode = FileChecks.mode(abs);
        int writable = mode & (acceptGroupWritable ? 002 : 022);
        if (writable != 0)
            out.add(new Violation(
                    Rule.GROUP_WORLD_WRITABLE,
                    name,
                    "mode " + FileChecks.octal(mode) + " lets group/others write a script that runs as root"));
        int uid = FileChecks.uid(abs);
        if (uid != 0)
            out.add(new Violation(
                    Rule.OWNER_NOT_ROOT,
                    name,
                    "owner uid " + uid + ": a script that runs as root must be owned by root"));
        Set<Path> dirs = new LinkedHashSet<>();
        for (Path d = abs.getParent(); d != null; d = d.getParent()) dirs.add(d);
        for (Path d = real.getParent(); d != null; d = d.getParent()) dirs.add(d);
        for (Path d : dirs) {
            boolean holder = d.equals(abs.getParent()) || d.equals(real.getParent());
            Violation v = directory(root, d, holder);
            if (v != null) out.add(v);
        }
        return out;
    }

    /**
     * A directory's own violation, or null. {@code holder}: it holds the file (a sticky bit does not help: others
     * could add files, and glob-ordered hook directories run every file).
     */
    public static Violation directory(Path root, Path dir, boolean holder) {
        if (!Files.isDirectory(dir)) return null;
        int full = fullMode(dir);
        if (full < 0) return null;
        int uid = FileChecks.uid(dir);
        boolean stickyRoot = (full & 01000) != 0 && uid == 0;
        String name = display(root, dir);
        if ((full & 022) != 0 && (holder || !stickyRoot))
            return new Violation(
                    Rule.DIR_WRITABLE,
                    name,
                    "directory mode " + FileChecks.octal(full & 0777)
                            + " lets group/others add or replace scripts that run as root");
        if (uid != 0)
            return new Violation(
                    Rule.DIR_OWNER_NOT_ROOT,
                    name,
                    "directory owner uid " + uid + ": it can replace scripts that run as root");
        return null;
    }

    /** Guest path when {@code p} lies below the root, else the host path. */
    static String display(Path root, Path p) {
        Path r = root.toAbsolutePath().normalize();
        if (r.getParent() == null) return p.toString();
        if (p.startsWith(r)) return "/" + r.relativize(p);
        try {
            Path rr = r.toRealPath();
            if (p.startsWith(rr)) return "/" + rr.relativize(p);
        } catch (IOException e) {
            // keep the host path
        }
        return p.toString();
    }

    private static int fullMode(Path p) {
        try {
            return ((Integer) Files.getAttribute(p, "unix:mode")) & 07777;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return -1;
        }
    }
}
