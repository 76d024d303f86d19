/**
 * The one {@code stillpoint snapshots} tree: {@code snapshots} lists the repository's snapshots
 * ({@link dev.stillpoint.cli.snapshots.Snapshots} is their JSON shape, shared with the image and
 * forget commands); {@code snapshots audit} (hidden, now {@code vm snapshot audit}) lists what is left on the domains (libvirt snapshots,
 * overlays, checkpoints).
 */
package dev.stillpoint.cli.snapshots;
