package dev.stillpoint.cli;

import dev.stillpoint.repository.Repositories;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import picocli.CommandLine.Option;

/**
 * How every command that opens a repository finds it (a picocli mixin, the only declaration of
 * these options): {@code -r/--repo} (default {@code $STILLPOINT_REPOSITORY}) and
 * {@code --password-file}. The passphrase comes from {@code $STILLPOINT_PASSWORD}, else
 * {@code --password-file} (first line), else a prompt when a terminal is attached.
 */
public final class RepoOptions {
    @Option(
            names = {"-r", "--repo"},
            paramLabel = "REPO",
            defaultValue = "${env:STILLPOINT_REPOSITORY}",
            description =
                    "Repository: a directory or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $STILLPOINT_REPOSITORY).")
    String repo;

    @Option(
            names = "--password-file",
            paramLabel = "FILE",
            description = "Read the passphrase from the first line of FILE (else $STILLPOINT_PASSWORD, else a prompt).")
    Path passwordFile;

    /** {@code --no-cache}: the repository's index files and manifests are fetched from the backend, not the local cache. */
    @Option(
            names = "--no-cache",
            description = "Do not use the local cache of a remote repository's index and manifests"
                    + " (also STILLPOINT_NO_CACHE=1; the cache is in $STILLPOINT_CACHE_DIR, $XDG_CACHE_HOME/stillpoint,"
                    + " /var/cache/stillpoint for root or ~/.cache/stillpoint).")
    void noCache(boolean off) {
        if (off) System.setProperty("stillpoint.cache", "off");
    }

    /** The repository's location: an absolute directory, or the {@code s3:} URL as given. */
    public String location() throws RepositoryException {
        return requireLocation(repo);
    }

    /**
     * The default catalog of this repository: {@code DIR/catalog.db} beside a directory; for an
     * {@code s3:} repository (no local directory) {@code $STILLPOINT_STATE_DIR/catalogs/HOST-PORT-BUCKET-PREFIX.db}.
     */
    public Path defaultCatalog() throws RepositoryException {
        String location = location();
        if (!Repositories.isRemote(location))
            return dev.stillpoint.engine.catalog.Catalog.defaultPath(Path.of(location));
        String name = location.substring("s3:".length())
                .replaceFirst("^[a-z]+://", "")
                .replaceAll("[^A-Za-z0-9._-]+", "-")
                .replaceAll("^-+|-+$", "");
        return dev.stillpoint.engine.runs.RunDirectory.defaultStateDir()
                .resolve("catalogs")
                .resolve(name + ".db");
    }

    /** {@code --password-file}, or null (a child process this command starts is handed the same). */
    public Path passwordFile() {
        return passwordFile;
    }

    /** Opens the repository, asking for the passphrase only when it is encrypted. */
    public Repository open() throws IOException {
        return open(location(), passwordFile);
    }

    public char[] password(boolean confirm) throws IOException {
        return password(repo, passwordFile, confirm);
    }

    /**
     * {@code repo} as a location (a directory made absolute, or an {@code s3:} URL as given), or
     * INVALID_ARGUMENT when neither {@code --repo} nor {@code $STILLPOINT_REPOSITORY} gave one
     * (every command that takes {@code --repo}).
     */
    public static String requireLocation(String repo) throws RepositoryException {
        if (repo == null || repo.isBlank())
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "--repo: missing; give --repo DIR (or s3:http[s]://HOST/BUCKET/PREFIX) or set STILLPOINT_REPOSITORY");
        if (Repositories.isRemote(repo)) return repo;
        try {
            return Path.of(repo).toAbsolutePath().toString();
        } catch (java.nio.file.InvalidPathException e) {
            throw new RepositoryException(
                    RepositoryException.Code.INVALID_ARGUMENT,
                    "--repo: '" + repo + "' is not a valid directory name: " + e.getMessage());
        }
    }

    /** Opens {@code location}, reading its passphrase ({@code $STILLPOINT_PASSWORD}, {@code passwordFile}, a prompt) only when it is encrypted. */
    public static Repository open(String location, Path passwordFile) throws IOException {
        return Repositories.open(
                location, Repositories.isEncrypted(location) ? password(location, passwordFile, false) : null);
    }

    private static char[] password(String dir, Path passwordFile, boolean confirm) throws IOException {
        return passphrase(
                "STILLPOINT_PASSWORD", passwordFile, "--password-file", "passphrase for " + dir + ": ", confirm);
    }

    /**
     * A passphrase from {@code $env}, else the first line of {@code file} ({@code option} names it
     * in errors), else a terminal prompt (twice when {@code confirm}).
     */
    public static char[] passphrase(String env, Path file, String option, String prompt, boolean confirm)
            throws IOException {
        String fromEnv = System.getenv(env);
        if (fromEnv != null && !fromEnv.isEmpty()) return fromEnv.toCharArray();
        if (file != null) {
            try {
                String s = Files.readString(file, StandardCharsets.UTF_8);
                int nl = s.indexOf('\n');
                if (nl >= 0) s = s.substring(0, nl);
                if (s.endsWith("\r")) s = s.substring(0, s.length() - 1);
                if (s.isEmpty())
                    throw new RepositoryException(
                            RepositoryException.Code.INVALID_ARGUMENT,
                            option + ": " + file + " has an empty first line");
                return s.toCharArray();
            } catch (NoSuchFileException e) {
                throw new RepositoryException(
                        RepositoryException.Code.INVALID_ARGUMENT, option + ": " + file + " does not exist");
            }
        }
        var console = System.console();
        if (console == null || !console.isTerminal())
            throw new RepositoryException(
                    RepositoryException.Code.WRONG_PASSWORD,
                    "a passphrase is needed: set " + env + ", give " + option + " FILE, or run on a terminal");
        char[] pw = console.readPassword("%s", prompt);
        if (pw == null || pw.length == 0)
            throw new RepositoryException(RepositoryException.Code.WRONG_PASSWORD, "no passphrase entered");
        if (confirm) {
            char[] again = console.readPassword("repeat passphrase: ");
            if (!Arrays.equals(pw, again))
                throw new RepositoryException(RepositoryException.Code.INVALID_ARGUMENT, "passphrases do not match");
        }
        return pw;
    }
}
