/** {@code stillpoint catalog ...}: the backup catalog itself ({@code catalog rebuild} from a repository alone). */
package dev.stillpoint.cli.catalog;
