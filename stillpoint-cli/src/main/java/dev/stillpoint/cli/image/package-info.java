/**
 * {@code stillpoint image backup} and {@code image restore}: raw disk images (files, block
 * devices, stdin) into and out of the repository, holes kept. Options and output as in
 * {@link dev.stillpoint.cli.repo}.
 */
package dev.stillpoint.cli.image;
