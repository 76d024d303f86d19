package dev.stillpoint.qemu.nbd;

/**
 * Error codes of the NBD protocol, plus the client's own failure kinds.
 *
 * <ul>
 *   <li>Transmission errors ({@link Kind#TRANSMISSION}): the errno-style values a server puts in a
 *       simple reply or an {@code NBD_REPLY_TYPE_ERROR*} chunk.</li>
 *   <li>Option errors ({@link Kind#OPTION}): {@code NBD_REP_ERR_*} option reply types (bit 31 set).</li>
 *   <li>Client errors ({@link Kind#CLIENT}): detected locally (bad magic, short stream, ...); value 0.</li>
 * </ul>
 */
public enum NbdErrorCode {
    EPERM(Kind.TRANSMISSION, 1),
    EIO(Kind.TRANSMISSION, 5),
    ENOMEM(Kind.TRANSMISSION, 12),
    EINVAL(Kind.TRANSMISSION, 22),
    ENOSPC(Kind.TRANSMISSION, 28),
    EOVERFLOW(Kind.TRANSMISSION, 75),
    ENOTSUP(Kind.TRANSMISSION, 95),
    ESHUTDOWN(Kind.TRANSMISSION, 108),
    /** A transmission error value this client does not know. */
    UNKNOWN_ERROR(Kind.TRANSMISSION, -1),

    REP_ERR_UNSUP(Kind.OPTION, (1 << 31) + 1),
    REP_ERR_POLICY(Kind.OPTION, (1 << 31) + 2),
    REP_ERR_INVALID(Kind.OPTION, (1 << 31) + 3),
    REP_ERR_PLATFORM(Kind.OPTION, (1 << 31) + 4),
    REP_ERR_TLS_REQD(Kind.OPTION, (1 << 31) + 5),
    /** The export name is not known to the server. */
    REP_ERR_UNKNOWN(Kind.OPTION, (1 << 31) + 6),
    REP_ERR_SHUTDOWN(Kind.OPTION, (1 << 31) + 7),
    REP_ERR_BLOCK_SIZE_REQD(Kind.OPTION, (1 << 31) + 8),
    REP_ERR_TOO_BIG(Kind.OPTION, (1 << 31) + 9),
    REP_ERR_EXT_HEADER_REQD(Kind.OPTION, (1 << 31) + 10),
    /** An option error value this client does not know. */
    REP_ERR_OTHER(Kind.OPTION, -1),

    /** The peer broke the protocol (bad magic, unexpected reply, inconsistent chunk). */
    PROTOCOL_ERROR(Kind.CLIENT, 0),
    /** The connection closed in the middle of a frame. */
    CONNECTION_CLOSED(Kind.CLIENT, 0),
    /** A meta context was asked for that the server did not agree to. */
    CONTEXT_NOT_NEGOTIATED(Kind.CLIENT, 0),
    /** The server lacks a feature this client needs (fixed newstyle, structured replies). */
    UNSUPPORTED_SERVER(Kind.CLIENT, 0);

    /** Where a code comes from. */
    public enum Kind {
        TRANSMISSION,
        OPTION,
        CLIENT
    }

    private final Kind kind;
    private final int value;

    NbdErrorCode(Kind kind, int value) {
        this.kind = kind;
        this.value = value;
    }

    public Kind kind() {
        return kind;
    }

    /** The value on the wire (0 for client-side codes, -1 for the catch-all codes). */
    public int value() {
        return value;
    }

    static NbdErrorCode fromTransmission(int value) {
        for (NbdErrorCode c : values()) {
            if (c.kind == Kind.TRANSMISSION && c.value == value) return c;
        }
        return UNKNOWN_ERROR;
    }

    static NbdErrorCode fromOptionReply(int value) {
        for (NbdErrorCode c : values()) {
            if (c.kind == Kind.OPTION && c.value == value) return c;
        }
        return REP_ERR_OTHER;
    }
}
