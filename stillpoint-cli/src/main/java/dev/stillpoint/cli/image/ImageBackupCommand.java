package dev.stillpoint.cli.image;

import dev.stillpoint.cli.snapshots.Snapshots;
import dev.stillpoint.cli.RepoOptions;
import dev.stillpoint.cli.output.JsonOption;
import dev.stillpoint.cli.output.Output;
import dev.stillpoint.cli.output.ProgressPrinter;
import dev.stillpoint.repository.ImageWriter;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryException;
import dev.stillpoint.repository.SnapshotInfo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code stillpoint image backup --repo DIR --name NAME FILE|-}. */
@Command(name = "backup", description = "Store a raw disk image (a file, a block device, or - for stdin) as a new snapshot.",
        mixinStandardHelpOptions = true)
public final class ImageBackupCommand implements Callable<Integer> {
    static final int BUFFER = 4 << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(BUFFER);

    @Spec CommandSpec spec;
    @Mixin RepoOptions repo;
    @Mixin JsonOption json;

    @Option(names = "--name", required = true, paramLabel = "NAME", description = "Image name, e.g. web1/vda.")
    String name;

    @Option(names = "--tag", paramLabel = "KEY=VALUE", description = "Metadata stored with the snapshot (repeatable).")
    Map<String, String> tags = new LinkedHashMap<>();

    @Parameters(index = "0", paramLabel = "FILE", description = "Raw image file or block device, or - to read stdin.")
    String source;

    @Override
    public Integer call() throws Exception {
        Output out = Output.of(spec, json.enabled());
        long t0 = System.nanoTime();
        SnapshotInfo s;
        try (Repository r = repo.open(); ReadableByteChannel in = openSource(); ProgressPrinter p = out.progress("backup " + name)) {
            long size = in instanceof FileChannel fc && fc.size() > 0 ? fc.size() : Repository.UNKNOWN_SIZE;
            try (ImageWriter w = r.newImage(name, size, null, tags, p)) {
                if (size != Repository.UNKNOWN_SIZE && Files.isRegularFile(Path.of(source))) copyFile((FileChannel) in, Path.of(source), w, size);
                else copy(in, w, size);
                s = w.commit();
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> m = Snapshots.json(s);
        m.put("seconds", Math.round(secs * 100) / 100.0);
        m.put("bytesPerSecond", (long) (s.size() / Math.max(secs, 1e-9)));
        out.summary(m, String.format("snapshot %s saved: %s, %s (%s allocated, %s added to the repository) in %.1f s, %s/s",
                s.id().substring(0, 8), s.name(), Output.bytes(s.size()), Output.bytes(s.allocatedBytes()), Output.bytes(s.storedBytes()),
                secs, Output.bytes((long) (s.size() / Math.max(secs, 1e-9)))));
        return 0;
    }

    private ReadableByteChannel openSource() throws IOException {
        if ("-".equals(source)) return Channels.newChannel(System.in);
        Path p = Path.of(source);
        try {
            if (Files.isDirectory(p)) throw new RepositoryException(RepositoryException.Code.INVALID_ARGUMENT, "FILE: " + p + " is a directory, expected a raw image or device");
            return FileChannel.open(p, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new RepositoryException(RepositoryException.Code.INVALID_ARGUMENT, "FILE: " + p + " does not exist");
        }
    }

    /** Bytes of the file mapped at a time (unmapped before the next window, so RSS stays small). */
    static final long WINDOW = 8L << 20;
    private static final MemorySegment ZERO_SEGMENT = MemorySegment.ofBuffer(ZEROS);

    /**
     * Copies a regular file: holes (as the filesystem reports them) become zeros without being
     * read; data is read through a memory mapping, one {@link #WINDOW} at a time, and blocks
     * that are all zeros still become holes. The kernel maps the page cache instead of copying
     * it into a buffer, and sparse images are read only where they hold data.
     */
    static void copyFile(FileChannel ch, Path file, ImageWriter w, long size) throws IOException {
        try (SparseFile sparse = SparseFile.open(file, size)) {
            long pos = 0;
            while (pos < size) {
                long data = sparse.nextData(pos);
                if (data > pos) { w.writeZeroes(pos, data - pos); pos = data; }
                if (pos >= size) break;
                long end = sparse.nextHole(pos);
                if (end <= pos) end = size;
                while (pos < end) {
                    long winStart = pos - pos % WINDOW, winEnd = Math.min(size, winStart + WINDOW);
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment win = ch.map(FileChannel.MapMode.READ_ONLY, winStart, winEnd - winStart, arena);
                        long stop = Math.min(end, winEnd);
                        while (pos < stop) {
                            long n = Math.min(stop - pos, BUFFER);
                            MemorySegment block = win.asSlice(pos - winStart, n);
                            if (block.mismatch(ZERO_SEGMENT.asSlice(0, n)) < 0) w.writeZeroes(pos, n);
                            else w.write(pos, block.asByteBuffer());
                            pos += n;
                        }
                    } catch (InternalError e) { // a fault in the mapping: the file shrank under us
                        throw new RepositoryException(RepositoryException.Code.INVALID_ARGUMENT, "FILE: " + file + " changed while reading (" + e.getMessage() + ")");
                    }
                    if (ch.size() < size)
                        throw new RepositoryException(RepositoryException.Code.INVALID_ARGUMENT, "FILE: " + file + " shrank from " + size + " to " + ch.size() + " bytes while reading");
                }
            }
        }
    }

    /**
     * Reads in big blocks into a direct buffer (the kernel copies straight into it; the writer
     * copies once more into its chunk); all-zero blocks become holes without being hashed.
     */
    static void copy(ReadableByteChannel in, ImageWriter w, long size) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
        long pos = 0;
        while (true) {
            buf.clear();
            while (buf.hasRemaining()) if (in.read(buf) < 0) break;
            buf.flip();
            int n = buf.remaining();
            if (n == 0) break;
            if (buf.mismatch(ZEROS.slice(0, n)) < 0) {
                w.writeZeroes(pos, n);
            } else {
                w.write(pos, buf);
            }
            pos += n;
            if (n < BUFFER) break;
        }
        if (size != Repository.UNKNOWN_SIZE && pos != size)
            throw new RepositoryException(RepositoryException.Code.INVALID_ARGUMENT, "FILE: read " + pos + " bytes but its size is " + size + " (changed while reading?)");
    }
}
