package dev.stillpoint.engine.ingest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.List;

/**
 * A stream as an {@link ExtentSource} of unknown size (stdin, a pipe, a block device): read
 * front to back in big blocks into a direct buffer (the kernel copies straight into it) until
 * it ends. All-zero blocks still become holes ({@link Ingest}).
 */
public final class StreamSource implements ExtentSource {
    private final ReadableByteChannel in;
    private final String name;
    private long position;
    private boolean ended;

    /** {@code name} for messages ({@code stdin}, {@code file /dev/sdb}). */
    public StreamSource(ReadableByteChannel in, String name) {
        this.in = in;
        this.name = name;
    }

    @Override
    public String describe() {
        return name;
    }

    @Override
    public long size() {
        return UNKNOWN_SIZE;
    }

    @Override
    public List<Extent> extents(long offset, long length) {
        throw new UnsupportedOperationException("a stream has no extents; read it front to back");
    }

    /** Fills {@code scratch} with up to {@code length} bytes; reads must come in order, without gaps. */
    @Override
    public ByteBuffer read(long offset, int length, ByteBuffer scratch) throws IOException {
        if (offset != position)
            throw new IllegalArgumentException("stream read at " + offset + ", expected " + position);
        scratch.clear().limit(length);
        while (!ended && scratch.hasRemaining()) {
            if (in.read(scratch) < 0) ended = true;
        }
        scratch.flip();
        position += scratch.remaining();
        return scratch;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
