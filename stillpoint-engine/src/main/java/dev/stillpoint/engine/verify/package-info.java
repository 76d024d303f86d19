/**
 * Boot verification ("SureBackup" for libvirt): a restore point is booted in isolation and
 * checked, then everything is destroyed.
 *
 * <pre>
 * verify ID --boot [--probe CMD]...
 *   journal (command "verify"): overlays, throwaway domain name, export socket: a later run removes
 *   them if this one dies
 *   export     a detached `stillpoint export ID --socket DIR/NAME.export.sock`
 *   overlays   qemu-img create -f qcow2 -F raw -b nbd+unix:///DISK?socket=… (the backup is never written)
 *   define     sp-verify-ID8-XXXX: new UUID and MACs, no network interface at all, disks on the overlays
 *   boot       virDomainCreate, then guest-ping until it answers (boot-to-agent seconds)
 *   checks     every ext filesystem's state (dumpe2fs through the agent) must not say "errors";
 *              each probe (/bin/sh -c CMD through guest-exec) must exit 0
 *   teardown   destroy, undefine, overlays deleted, export stopped (always, in finally)
 *   record     catalog table verifications; `backups` shows the newest per backup
 * </pre>
 */
package dev.stillpoint.engine.verify;
