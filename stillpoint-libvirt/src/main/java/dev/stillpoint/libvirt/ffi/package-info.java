/**
 * Small, typed bindings to libvirt's C library through the FFM API ({@code java.lang.foreign}):
 * {@link dev.stillpoint.libvirt.ffi.VirConnection} ({@code virConnectPtr}) and
 * {@link dev.stillpoint.libvirt.ffi.VirDomain} ({@code virDomainPtr}); downcall handles are
 * package-private in {@code Libvirt}. Only the calls Stillpoint needs are bound.
 *
 * <p>Invariants: every {@code virDomainPtr}, checkpoint and snapshot handle is freed
 * ({@code VirDomain.close()}, list helpers free what they list); strings libvirt allocates are
 * copied then released with libc {@code free}; errors are read with {@code virGetLastError} on
 * the calling thread right after the failing call and reported as
 * {@link dev.stillpoint.libvirt.ffi.LibvirtException} with libvirt's {@code virErrorNumber}.
 * libvirt's default error printer (stderr) is replaced by a no-op handler: the core never prints.
 * Run the JVM with {@code --enable-native-access=ALL-UNNAMED}.
 */
package dev.stillpoint.libvirt.ffi;
