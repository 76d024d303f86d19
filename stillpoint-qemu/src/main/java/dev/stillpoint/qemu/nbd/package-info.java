/**
 * NBD (Network Block Device) protocol code, both sides, laid out like okhttp's HTTP/2 code (whose
 * reader and writer also serve client and server): {@code Nbd} (constants),
 * {@link dev.stillpoint.qemu.nbd.NbdErrorCode} (wire error codes), {@code NbdReader} /
 * {@code NbdWriter} (one method per frame, both directions, byte layouts drawn above the parsers,
 * frames logged at DEBUG on logger {@code dev.stillpoint.qemu.nbd.frames} as {@code >>} sent /
 * {@code <<} received), a connection per side ({@code NbdConnection}, {@code NbdServerConnection})
 * and a small public API per side ({@link dev.stillpoint.qemu.nbd.NbdClient},
 * {@link dev.stillpoint.qemu.nbd.NbdServer} with {@link dev.stillpoint.qemu.nbd.NbdExportSource}).
 * The server lives in this package rather than a sub-package so that it shares the package-private
 * reader, writer and constants without making them public API.
 *
 * <h2>Client</h2>
 * Fixed newstyle handshake; {@code NBD_OPT_STRUCTURED_REPLY}; {@code NBD_OPT_SET_META_CONTEXT};
 * {@code NBD_OPT_GO} with {@code NBD_INFO_EXPORT} and {@code NBD_INFO_BLOCK_SIZE};
 * {@code NBD_CMD_READ} (simple or structured replies: OFFSET_DATA, OFFSET_HOLE, ERROR,
 * ERROR_OFFSET chunks), {@code NBD_CMD_BLOCK_STATUS}, {@code NBD_CMD_DISC}. No TLS, no writes, no
 * extended headers, no oldstyle servers. Invariants: a read's reply chunks must cover the
 * requested range exactly (else {@code PROTOCOL_ERROR}); block status extents start at the
 * requested offset, are contiguous and are clipped to the requested end. Sockets have no read
 * timeout: the server (qemu) is local.
 *
 * <h2>Server</h2>
 * Read-only exports, each an {@link dev.stillpoint.qemu.nbd.NbdExportSource} (size, read,
 * {@code base:allocation} extents) under a name; the empty name is the first export.
 * <ul>
 *   <li>Handshake: fixed newstyle with {@code NO_ZEROES}; options {@code EXPORT_NAME},
 *       {@code ABORT} (ACK, close), {@code LIST}, {@code INFO} / {@code GO} ({@code INFO_EXPORT}
 *       with {@code READ_ONLY | CAN_MULTI_CONN}, {@code INFO_NAME} when asked,
 *       {@code INFO_BLOCK_SIZE} always: 1 / the source's preferred size / 32 MiB),
 *       {@code STRUCTURED_REPLY}, {@code LIST_META_CONTEXT} / {@code SET_META_CONTEXT}
 *       ({@code base:allocation} only, id 1; listed with the reserved id 0). Any other option,
 *       {@code STARTTLS} included, gets {@code NBD_REP_ERR_UNSUP}; malformed data
 *       {@code ERR_INVALID}; an unknown export {@code ERR_UNKNOWN} ({@code EXPORT_NAME}, which
 *       cannot fail politely, closes the connection). Meta contexts chosen for one export are
 *       void when {@code GO} opens another.</li>
 *   <li>Transmission: {@code READ} (one OFFSET_DATA chunk when structured replies were agreed,
 *       else a simple reply), {@code BLOCK_STATUS} (one BLOCK_STATUS chunk, clipped to the request,
 *       {@code REQ_ONE} honoured), {@code DISC} (requests in flight finish, then close).
 *       {@code WRITE} (payload skipped), {@code TRIM}, {@code WRITE_ZEROES}: {@code EPERM}. A range
 *       past the end, a read or write over 32 MiB, block status without a context, any other
 *       command: {@code EINVAL}. A failing source: {@code EIO} for that request. Errors go in an
 *       ERROR chunk with a message when structured replies were agreed.</li>
 *   <li>Dropped connections: bad request magic, unknown client flags, a write payload over
 *       64 MiB, and a client that does not read a reply for the write timeout (60 s). Each
 *       connection fails alone; the export and the other clients go on.</li>
 *   <li>Threads and memory: one virtual thread per connection reads frames and runs the
 *       handshake; reads and block status run on a fixed worker pool shared by all connections,
 *       at most 16 per connection at once, and read buffers of all connections together stay
 *       under 64 MiB (a semaphore the reader thread waits on: back-pressure into the socket).
 *       Replies are written whole under a per-connection lock, in completion order (cookies
 *       match them to requests).</li>
 * </ul>
 */
package dev.stillpoint.qemu.nbd;
