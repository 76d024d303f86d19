package dev.stillpoint.qemu.nbd;

/**
 * One extent from {@code NBD_CMD_BLOCK_STATUS}: {@code length} bytes at {@code offset} sharing
 * {@code flags}. The flags mean what the meta context says:
 * <ul>
 *   <li>{@code base:allocation}: bit 0 {@code NBD_STATE_HOLE} (not allocated), bit 1
 *       {@code NBD_STATE_ZERO} (reads as zeroes).</li>
 *   <li>{@code qemu:dirty-bitmap:*}: bit 0 set = dirty (changed since the bitmap was created).</li>
 * </ul>
 */
public record BlockExtent(long offset, long length, int flags) {
    public static final int STATE_HOLE = 1;
    public static final int STATE_ZERO = 1 << 1;
    public static final int STATE_DIRTY = 1;

    public BlockExtent {
        if (offset < 0) throw new IllegalArgumentException("offset must be >= 0, got " + offset);
        if (length <= 0) throw new IllegalArgumentException("length must be > 0, got " + length);
    }

    /** base:allocation: not allocated. */
    public boolean hole() {
        return (flags & STATE_HOLE) != 0;
    }

    /** base:allocation: reads as zeroes. */
    public boolean zero() {
        return (flags & STATE_ZERO) != 0;
    }

    /** qemu:dirty-bitmap:*: changed. */
    public boolean dirty() {
        return (flags & STATE_DIRTY) != 0;
    }

    /** First byte after this extent. */
    public long end() {
        return offset + length;
    }
}
