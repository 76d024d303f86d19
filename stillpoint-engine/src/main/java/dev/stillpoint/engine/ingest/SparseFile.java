package dev.stillpoint.engine.ingest;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * Where a file's data is, as the filesystem knows it ({@code lseek(2)} with {@code SEEK_DATA} and
 * {@code SEEK_HOLE}): a sparse raw image is read only where it holds data, and its holes are
 * recorded as zeros without reading them. Where the filesystem or platform cannot tell, the
 * whole file counts as data.
 */
final class SparseFile implements AutoCloseable {
    private static final int O_RDONLY = 0, O_CLOEXEC = 0x80000;
    private static final int SEEK_DATA = 3, SEEK_HOLE = 4;
    private static final int ENXIO = 6;
    private static final Native NATIVE = Native.load();

    private final long size;
    private final int fd;
    private boolean regionsKnown;

    private SparseFile(long size, int fd) {
        this.size = size;
        this.fd = fd;
        this.regionsKnown = fd >= 0;
    }

    /** Opens {@code file} (of {@code size} bytes) for region queries; never fails for lack of support. */
    static SparseFile open(Path file, long size) throws IOException {
        if (NATIVE == null) return new SparseFile(size, -1);
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) NATIVE.open.invokeExact(a.allocateFrom(file.toString()), O_RDONLY | O_CLOEXEC);
            return new SparseFile(size, fd);
        } catch (Throwable t) {
            return new SparseFile(size, -1);
        }
    }

    /** The first offset at or after {@code from} that holds data, or the file size when only holes follow. */
    long nextData(long from) {
        return seek(from, SEEK_DATA);
    }

    /** The first hole at or after {@code from} (the file size counts as one). */
    long nextHole(long from) {
        return seek(from, SEEK_HOLE);
    }

    private long seek(long from, int whence) {
        if (from >= size) return size;
        if (!regionsKnown) return whence == SEEK_DATA ? from : size;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(NATIVE.callState);
            long r = (long) NATIVE.lseek.invokeExact(state, fd, from, whence);
            if (r >= 0) return Math.min(r, size);
            if ((int) NATIVE.errno.get(state, 0L) == ENXIO) return size; // no data after from
        } catch (Throwable t) {
            // fall through: unknown
        }
        regionsKnown = false; // e.g. EINVAL: the filesystem cannot tell; treat everything as data
        return whence == SEEK_DATA ? from : size;
    }

    @Override
    public void close() {
        if (fd < 0) return;
        try {
            int ignored = (int) NATIVE.close.invokeExact(fd);
        } catch (Throwable t) {
            // nothing to do
        }
    }

    /** libc entry points; null when they cannot be bound (no native access, another platform). */
    private record Native(
            MethodHandle open, MethodHandle lseek, MethodHandle close, StructLayout callState, VarHandle errno) {
        static Native load() {
            try {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                StructLayout cs = Linker.Option.captureStateLayout();
                Linker.Option capture = Linker.Option.captureCallState("errno");
                MethodHandle open = linker.downcallHandle(
                        libc.findOrThrow("open"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
                MethodHandle lseek = linker.downcallHandle(
                        libc.findOrThrow("lseek"),
                        FunctionDescriptor.of(
                                ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT),
                        capture);
                MethodHandle close = linker.downcallHandle(
                        libc.findOrThrow("close"), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                VarHandle errno = cs.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
                return new Native(open, lseek, close, cs, errno);
            } catch (Throwable t) {
                return null;
            }
        }
    }
}
