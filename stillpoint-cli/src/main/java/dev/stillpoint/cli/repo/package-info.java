/**
 * Repository commands: {@code repo init}, {@code repo repair-index}, {@code image backup},
 * {@code image restore}, {@code snapshots}, {@code check}, {@code forget}, {@code prune},
 * {@code stats}. One class per command; shared options in {@link dev.stillpoint.cli.repo.RepoOptions}
 * ({@code --repo} / {@code $STILLPOINT_REPOSITORY}, passphrase from {@code $STILLPOINT_PASSWORD},
 * {@code --password-file} or a prompt, {@code --json}); output through
 * {@link dev.stillpoint.cli.output}; exit codes from {@code RepositoryException.Code} via
 * {@code ExitCodes.forRepository}. JSON shapes: {@code docs/scripting.md}.
 */
package dev.stillpoint.cli.repo;
