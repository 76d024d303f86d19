package dev.stillpoint.guest.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/** Builds a guest tree under a temp root: scripts that append "NAME ARGS" to trace.log. */
public final class GuestTree {
    public final Path root;

    public GuestTree(Path root) {
        this.root = root;
    }

    public Path path(String guest) {
        return root.resolve(guest.startsWith("/") ? guest.substring(1) : guest);
    }

    /** A script that records its name and arguments, then exits with {@code exit}. */
    public Path script(String guest, String name, int exit) throws IOException {
        return write(guest, "#!/bin/sh\necho \"" + name + " $*\" >> " + trace() + "\nexit " + exit + "\n", "rwx------");
    }

    /** A script that fails only for the given first argument. */
    public Path scriptFailingOn(String guest, String name, String arg, int exit) throws IOException {
        return write(
                guest,
                "#!/bin/sh\necho \"" + name + " $*\" >> " + trace() + "\n[ \"$1\" = \"" + arg + "\" ] && exit " + exit
                        + "\nexit 0\n",
                "rwx------");
    }

    public Path write(String guest, String content, String perms) throws IOException {
        Path p = path(guest);
        Files.createDirectories(p.getParent());
        Files.write(p, content.getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        return p;
    }

    public Path trace() {
        return root.resolve("trace.log");
    }

    public List<String> traceLines() throws IOException {
        return Files.exists(trace()) ? Files.readAllLines(trace()) : List.of();
    }

    public void clearTrace() throws IOException {
        Files.deleteIfExists(trace());
    }
}
