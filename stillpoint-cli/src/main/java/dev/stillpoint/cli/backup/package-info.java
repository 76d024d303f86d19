/**
 * VM backup commands: {@code backup DOMAIN}, {@code restore BACKUP}, {@code backups} (the
 * catalog). They run the engine's jobs through a {@code VmConnector}
 * ({@link dev.stillpoint.cli.Connectors}), take {@code --repo} through
 * {@link dev.stillpoint.cli.RepoOptions} and {@code --catalog} through {@code CatalogOption}, and
 * print through {@link dev.stillpoint.cli.output.VmPrinter}.
 */
package dev.stillpoint.cli.backup;
