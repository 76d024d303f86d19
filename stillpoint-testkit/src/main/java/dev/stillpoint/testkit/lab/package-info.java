/**
 * The guest lab for end-to-end tests: throwaway Debian 12 VMs under libvirt (TCG) booted from
 * the cached image that {@code scripts/guest-image} builds, driven through {@code scripts/lab}.
 *
 * <p>Entry points: {@link dev.stillpoint.testkit.lab.GuestLab#shared()} (one guest per test JVM,
 * booted on first use, removed by a shutdown hook or {@code close()}),
 * {@link dev.stillpoint.testkit.lab.GuestLab#boot(String, int)} for a private guest and
 * {@link dev.stillpoint.testkit.lab.GuestLab#attach(String)} for a domain that something else
 * defined (a restored VM). {@link dev.stillpoint.testkit.lab.LibvirtDaemons#ensureRunning()}
 * starts virtlogd and libvirtd when nothing else did.
 *
 * <p>Invariants: every lab domain is named {@code sp-<owner>-...} (default
 * {@code sp-lab-<pid>}); its files live in {@code /var/lib/stillpoint/lab/NAME} (qcow2 overlay
 * on the read-only shared base, its own kernel/initrd copies, serial log); {@code close()}
 * destroys and undefines it (with checkpoint and snapshot metadata) and removes that directory.
 * Guest commands run through the guest agent ({@code guest-exec}); the guest has no network.
 *
 * <p>System properties: {@code stillpoint.root} (repository root; default: the nearest parent
 * of the working directory holding {@code .ci/run}), {@code stillpoint.lab.name} (name of the
 * shared guest), {@code stillpoint.lab.memory} (MiB, default 1024),
 * {@code stillpoint.lab.bootTimeout} (seconds, default 300).
 */
package dev.stillpoint.testkit.lab;
