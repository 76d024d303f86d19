/** {@code stillpoint analyze}: offline diagnostics of logs ({@code analyze stun}, {@code analyze freeze-log}). */
package dev.stillpoint.cli.analyze;
