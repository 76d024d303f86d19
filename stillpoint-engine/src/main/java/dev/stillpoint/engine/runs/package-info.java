/**
 * Crash safety of host runs: what a run creates outside itself is written down before it is
 * created, so that a later run can find and undo it when the first one died without cleaning up
 * (kill -9, the OOM killer, a crashed JVM, a reboot of the machine running the CLI while libvirtd
 * and the guest live on).
 *
 * <pre>
 * STATE_DIR/runs/                      ($STILLPOINT_STATE_DIR, default /var/lib/stillpoint)
 *   run-ID.lock     flock held by the owner for its whole life (the kernel drops it at death)
 *   run-ID.json     the journal: {"version":1,"runId","command","pid","pidStartedAt","host",
 *                   "startedAt","domain","uuid","catalog","phase","workDir","socket",
 *                   "checkpoint","backupJob","files":[...],"definedDomain","snapshot"}
 *   domain-UUID.lock  flock held while a run works on that domain (one backup or vm snapshot
 *                     command per domain)
 * </pre>
 *
 * <p>Order: the owner locks {@code run-ID.lock} before it writes {@code run-ID.json}, and writes
 * each resource into the journal (atomically: temp file + rename) <em>before</em> it creates the
 * resource: the work directory (its name comes from the run id), the checkpoint name and socket
 * before {@code virDomainBackupBegin}, output files before they are opened, a VM snapshot's
 * name and external overlays before {@code virDomainSnapshotCreateXML}. A finished run deletes
 * its journal, then its lock file.
 *
 * <p>A journal whose lock can be taken belongs to a dead run. {@link OrphanRecovery} then, holding
 * that lock and the domain's lock: thaws the guest when the run died around the freeze, aborts the
 * domain's pull-backup job when its NBD socket is the one the journal names (never another tool's),
 * deletes the journal's checkpoint unless the catalog recorded it, deletes a VM snapshot's
 * overlays unless the domain has that snapshot or a disk uses them (else reports them kept), kills {@code qemu-nbd} /
 * {@code qemu-img} processes whose command line names the run's work directory or files, removes
 * those files and directories, and records a failed catalog row with the reason "interrupted".
 * A run whose owner is alive is never touched.
 */
package dev.stillpoint.engine.runs;
