/**
 * Repository commands: {@code repo init}, {@code repo passwd}, {@code repo repair-index}, and the
 * repository's top-level {@code check}, {@code forget}, {@code prune}, {@code stats}. One class
 * per command; {@code --repo} and the passphrase through {@link dev.stillpoint.cli.RepoOptions}
 * ({@code --repo} / {@code $STILLPOINT_REPOSITORY}, passphrase from {@code $STILLPOINT_PASSWORD},
 * {@code --password-file} or a prompt), {@code --json} through
 * {@link dev.stillpoint.cli.output.JsonOption}; output through {@link dev.stillpoint.cli.output};
 * exit codes from {@code RepositoryException.Code} via {@code ExitCodes.forRepository}. JSON
 * shapes: {@code docs/scripting.md}.
 */
package dev.stillpoint.cli.repo;
