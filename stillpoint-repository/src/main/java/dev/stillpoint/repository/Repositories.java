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
        changePassword(dir.toString(), oldPassword, newPassword);
    }

    /**
     * Whether the repository in {@code dir} is encrypted (needs a passphrase to open). Reads only
     * the config; throws like {@link #open} for a missing or unsupported repository.
     */
    public static boolean isEncrypted(Path dir) throws IOException {
        return isEncrypted(dir.toString());
    }

    /**
     * As {@link #init(Path, RepositoryOptions)} for a repository {@code location}: a directory or
     * {@code s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]} (the bucket must exist; the prefix must
     * hold nothing). INVALID_ARGUMENT for a malformed location, NOT_FOUND for a missing bucket,
     * WRONG_PASSWORD when the object store refuses the credentials.
     */
    public static Repository init(String location, RepositoryOptions options) throws IOException {
        return FileRepository.create(FileRepository.openStore(location), options);
    }

    /** As {@link #open(Path, char[])} for a repository {@code location} (see {@link #init(String, RepositoryOptions)}). */
    public static Repository open(String location, char[] password) throws IOException {
        return FileRepository.open(FileRepository.openStore(location), password);
    }

    /** As {@link #changePassword(Path, char[], char[])} for a repository {@code location}. */
    public static void changePassword(String location, char[] oldPassword, char[] newPassword) throws IOException {
        try (var store = FileRepository.openStore(location)) {
            RepoConfig config = RepoConfig.read(store);
            if (!config.encrypted())
                throw new RepositoryException(
                        RepositoryException.Code.INVALID_ARGUMENT,
                        store.location() + " is not encrypted: it has no passphrase to change");
            KeyFile.change(store, config.id(), oldPassword, newPassword);
        }
    }

    /** As {@link #isEncrypted(Path)} for a repository {@code location}. */
    public static boolean isEncrypted(String location) throws IOException {
        try (var store = FileRepository.openStore(location)) {
            return RepoConfig.read(store).encrypted();
        }
    }

    /**
     * Copies snapshots (full ids or unique prefixes) of {@code from} into {@code to}, with every
     * record of {@code from} whose snapshots are all among them, sending only the chunks {@code to}
     * lacks; snapshots {@code to} holds already (copied before) are skipped, so a second run
     * sends nothing and a run after a kill completes. Both must be repositories from this class
     * with the same chunk size (INVALID_ARGUMENT otherwise). Shared locks on both. See
     * {@code docs/repository-format.md} ("Copying") for how chunks are named across keys.
     */
    public static CopyResult copy(
            Repository from, Repository to, java.util.Collection<String> snapshots, ProgressListener progress)
            throws IOException {
        if (!(from instanceof FileRepository f) || !(to instanceof FileRepository t))
            throw new UnsupportedOperationException("copy needs two repositories opened by Repositories");
        return new RepositoryCopier(f, t, progress).run(snapshots);
    }

    /** True when {@code location} names a remote repository ({@code s3:...}) rather than a directory. */
    public static boolean isRemote(String location) {
        return dev.stillpoint.repository.store.Store.isRemote(location);
    }
}
