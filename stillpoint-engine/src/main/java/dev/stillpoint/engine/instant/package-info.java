/**
 * Instant recovery: a restore point runs as a new domain within seconds, on local qcow2 overlays
 * whose backing is a Stillpoint NBD export of the repository, while libvirt block pulls copy the
 * data into the overlays behind it.
 *
 * <pre>
 * restore ID --instant --define NAME
 *   1. STATE_DIR/instant/NAME.json written first (state "starting"): what follows can always be
 *      found and undone by `instant abort NAME`, even after a kill -9
 *   2. a detached `stillpoint export ID --socket DIR/NAME.export.sock` (it outlives the command)
 *   3. per disk: qemu-img create -f qcow2 -F raw -b nbd+unix:///vda?socket=… DIR/NAME-vda.qcow2
 *   4. define NAME from the backup's XML (new UUID, MACs), each disk on its overlay with the
 *      export named as an explicit network backingStore; start
 *   5. virDomainBlockPull per disk (state "pulling"); the guest writes only to the overlays
 * instant list            state, per-disk pull progress, whether the export is alive
 * instant finish NAME     waits until no disk has a network backingStore left, stops the export
 * instant abort NAME      destroys and undefines NAME, deletes its overlays, stops the export
 * </pre>
 * A dead export while disks still depend on it is reported ({@code export-dead}); the guest then
 * sees I/O errors, never other data.
 */
package dev.stillpoint.engine.instant;
