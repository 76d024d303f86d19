/**
 * The engine's VM connector on libvirt: {@link dev.stillpoint.libvirt.LibvirtConnector}
 * ({@code open(uri)}, default {@code qemu:///system}) implements
 * {@link dev.stillpoint.engine.vm.VmConnector}; domains, the guest agent and backup sessions are
 * package-private implementations of the engine's interfaces. Native calls go through
 * {@link dev.stillpoint.libvirt.ffi} (FFM); run the JVM with {@code --enable-native-access=ALL-UNNAMED}.
 *
 * <h2>Behaviour and invariants</h2>
 * <ul>
 *   <li>Domains hold no native handle: each call looks the domain up by UUID and frees it, so a
 *       {@code VmDomain} can be kept as long as the connector is open; a domain that vanished
 *       gives {@code NOT_FOUND}.</li>
 *   <li>Disks: file- or block-backed ({@code type='block'}, {@code <source dev/>}) qcow2/raw
 *       {@code device='disk'} disks that are not read-only; every other disk is returned with a skip
 *       reason (see {@code DomainXml}). A backup without a new checkpoint (raw disks: no bitmap
 *       possible) passes no checkpoint XML.</li>
 *   <li>Pull backup ({@code beginBackup}): XML as in {@code BackupXml}; every domain disk not asked
 *       for gets {@code backup='no'} / {@code checkpoint='no'}. Export name = disk target; an
 *       incremental's dirty bitmap is meta context {@code qemu:dirty-bitmap:backup-<disk>}.
 *       The socket's directory and the scratch directory must be <b>dedicated</b> to the backup:
 *       they are created, handed to {@code libvirt-qemu} (QEMU's user) with mode 0700, and every
 *       parent must allow o+x (so not under /tmp/junit-style 0700 dirs or /root). Scratch files
 *       are {@code <scratchDir>/<disk>.scratch}.</li>
 *   <li>Ending: {@code BackupSession.close()} calls {@code virDomainAbortJob} (libvirt 9.0 has no
 *       backup-end call; the checkpoint stays), waits up to 30 s until no job is active, and
 *       removes the socket and scratch files if left.</li>
 *   <li>Checkpoints are listed oldest first (creationTime, ties in libvirt's topological order),
 *       all of them, including other tools' checkpoints. Deleting one merges its bitmap into its
 *       child.</li>
 *   <li>Guest agent: {@code virDomainQemuAgentCommand} with the timeout rounded up to whole
 *       seconds. No agent configured, agent not connected, domain not running →
 *       {@code AGENT_UNAVAILABLE} (ping returns false); a freeze that runs into the timeout →
 *       {@code FREEZE_TIMEOUT}; the guest may still complete that freeze, so callers always thaw.</li>
 *   <li>{@code undefine()} removes checkpoint and snapshot metadata and NVRAM too.</li>
 * </ul>
 *
 * <h2>Error codes (libvirt virErrorNumber → VmException.Code, in {@code VmErrors})</h2>
 * <pre>
 * NO_DOMAIN(42), NO_DOMAIN_CHECKPOINT(103), NO_DOMAIN_SNAPSHOT(72)  NOT_FOUND
 *   (an incremental from a missing checkpoint: CHECKPOINT_INVALID)
 * NO_CONNECT(5), library missing                                    CONNECTION_FAILED
 * AGENT_UNRESPONSIVE(86), AGENT_UNSYNCED(97)                        AGENT_UNAVAILABLE
 * INVALID_DOMAIN_CHECKPOINT(102), CHECKPOINT_INCONSISTENT(109)      CHECKPOINT_INVALID
 * anything else in beginBackup / BackupSession.close                BACKUP_FAILED
 * anything else                                                     OPERATION_FAILED
 * </pre>
 */
package dev.stillpoint.libvirt;
