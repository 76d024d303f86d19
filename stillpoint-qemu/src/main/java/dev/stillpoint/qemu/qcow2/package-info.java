/**
 * A read-only reader of a qcow2 image's header and internal snapshot table, enough to show what
 * {@code qemu-img snapshot -l} shows (ID, TAG, VM SIZE, DATE, VM CLOCK) without running qemu-img
 * and without taking the image lock: the file may be in use by a running VM, so it is only read,
 * never locked, and a header that changes between reads is re-read once.
 *
 * <h2>Header (big-endian, QEMU docs/interop/qcow2.txt)</h2>
 * <pre>
 *   0  magic 'QFI\xfb'        4  version (2 or 3)      8  backing_file_offset u64
 *  16  backing_file_size u32 20  cluster_bits u32     24  size (virtual) u64
 *  32  crypt_method u32      36  l1_size u32          40  l1_table_offset u64
 *  48  refcount_table_offset 56  refcount_table_clusters u32
 *  60  nb_snapshots u32      64  snapshots_offset u64
 * </pre>
 * <h2>Snapshot table entry (8-byte aligned, nb_snapshots of them at snapshots_offset)</h2>
 * <pre>
 *   0  l1_table_offset u64    8  l1_size u32          12  id_str_size u16
 *  14  name_size u16         16  date_sec u32         20  date_nsec u32
 *  24  vm_clock_nsec u64     32  vm_state_size u32    36  extra_data_size u32
 *  40  extra_data: [0] vm_state_size_large u64, [8] disk_size u64, [16] icount u64 (each only if
 *      extra_data_size covers it)
 *  40 + extra_data_size: id_str, then name (no NUL), then padding to a multiple of 8
 * </pre>
 * VM SIZE is vm_state_size_large when present, else vm_state_size: the saved memory and device
 * state of a snapshot taken of a running VM (0 for a disk-only one).
 */
package dev.stillpoint.qemu.qcow2;
