/**
 * A read-only NBD (Network Block Device) client, laid out like okhttp's HTTP/2 code:
 * {@code Nbd} (constants), {@link dev.stillpoint.qemu.nbd.NbdErrorCode} (wire error codes),
 * {@code NbdReader} / {@code NbdWriter} (one method per frame, byte layouts drawn above the
 * parsers, frames logged at DEBUG on logger {@code dev.stillpoint.qemu.nbd.frames} as
 * {@code >>} sent / {@code <<} received), {@code NbdConnection} (owns the socket, handshake,
 * one request at a time) and the small public {@link dev.stillpoint.qemu.nbd.NbdClient}.
 *
 * <p>Protocol subset: fixed newstyle handshake; {@code NBD_OPT_STRUCTURED_REPLY};
 * {@code NBD_OPT_SET_META_CONTEXT}; {@code NBD_OPT_GO} with {@code NBD_INFO_EXPORT} and
 * {@code NBD_INFO_BLOCK_SIZE}; {@code NBD_CMD_READ} (simple or structured replies:
 * OFFSET_DATA, OFFSET_HOLE, ERROR, ERROR_OFFSET chunks), {@code NBD_CMD_BLOCK_STATUS},
 * {@code NBD_CMD_DISC}. No TLS, no writes, no extended headers, no oldstyle servers.
 *
 * <p>Invariants: a read's reply chunks must cover the requested range exactly (else
 * {@code PROTOCOL_ERROR}); block status extents start at the requested offset, are contiguous and
 * are clipped to the requested end. Sockets have no read timeout: the server (qemu) is local.
 */
package dev.stillpoint.qemu.nbd;
