/**
 * File-level restore: {@code stillpoint files} (list, {@code --find}) and
 * {@code stillpoint restore --files}, over {@link dev.stillpoint.engine.files.GuestFiles}.
 */
package dev.stillpoint.cli.files;
