package dev.stillpoint.repository;

import java.io.IOException;
import java.nio.file.Path;

/** Creates and opens repositories. */
public final class Repositories {
    private Repositories() {}

    /**
     * Creates a repository in {@code dir} (absent or empty). Throws ALREADY_EXISTS when a
     * repository or other files are there, INVALID_ARGUMENT for bad options.
     */
    public static Repository init(Path dir, RepositoryOptions options) throws IOException {
        return FileRepository.create(dir, options);
    }

    /**
     * Opens the repository in {@code dir}. {@code password} is ignored for unencrypted
     * repositories. Throws NOT_FOUND (no repository), WRONG_PASSWORD, UNSUPPORTED_VERSION or
     * CORRUPT; opening never modifies the repository (apart from creating {@code locks/} and {@code tmp/}).
     */
    public static Repository open(Path dir, char[] password) throws IOException {
        return FileRepository.open(dir, password);
    }

    /**
     * Changes the passphrase of the encrypted repository in {@code dir}: the master key is
     * wrapped again under {@code newPassword}; no data is rewritten, and processes that have the
     * repository open keep working. Throws WRONG_PASSWORD when {@code oldPassword} does not
     * unlock it, INVALID_ARGUMENT for an unencrypted repository or an empty new passphrase.
     */
    public static void changePassword(Path dir, char[] oldPassword, char[] newPassword) throws IOException {
        Path root = dir.toAbsolutePath();
        RepoConfig config = RepoConfig.read(root);
        if (!config.encrypted())
            throw new RepositoryException(RepositoryException.Code.INVALID_ARGUMENT, root + " is not encrypted: it has no passphrase to change");
        KeyFile.change(root, config.id(), oldPassword, newPassword);
    }

    /**
     * Whether the repository in {@code dir} is encrypted (needs a passphrase to open). Reads only
     * the config; throws like {@link #open} for a missing or unsupported repository.
     */
    public static boolean isEncrypted(Path dir) throws IOException {
        return RepoConfig.read(dir.toAbsolutePath()).encrypted();
    }
}
