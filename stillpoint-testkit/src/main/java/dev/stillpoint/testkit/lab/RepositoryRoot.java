package dev.stillpoint.testkit.lab;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the Stillpoint checkout: {@code -Dstillpoint.root}, else the nearest parent with {@code .ci/run}. */
final class RepositoryRoot {
    static final String PROPERTY = "stillpoint.root";

    private RepositoryRoot() {}

    static Path find() {
        String configured = System.getProperty(PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path root = Path.of(configured).toAbsolutePath().normalize();
            if (!Files.isExecutable(root.resolve("scripts/lab"))) {
                throw new GuestLabException(
                        GuestLabException.Code.ROOT_NOT_FOUND,
                        "-D" + PROPERTY + "=" + configured
                                + " has no executable scripts/lab (rule: must be the repository root)");
            }
            return root;
        }
        Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath().normalize();
        for (Path p = start; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve(".ci/run")) && Files.isExecutable(p.resolve("scripts/lab"))) {
                return p;
            }
        }
        throw new GuestLabException(
                GuestLabException.Code.ROOT_NOT_FOUND,
                "no repository root (a directory with .ci/run and scripts/lab) above " + start + "; set -D" + PROPERTY
                        + "=DIR");
    }
}
