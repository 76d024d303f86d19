/** {@code stillpoint vm}: inspection of running VMs ({@code vm fs-state}). */
package dev.stillpoint.cli.vm;
