package dev.stillpoint.repository.store;

import java.io.Closeable;
import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * Named objects under one repository root (restic's backend): the repository's only way to its
 * storage. Names are relative, {@code /}-separated ({@code config}, {@code data/ab/<id>},
 * {@code locks/<id>}). Contract, the same for every implementation ({@code StoreContractTest}):
 * <ul>
 * <li>{@link #put} publishes an object atomically and <b>once</b>: readers see all of it or
 *     nothing, and an existing object is never replaced ({@code ALREADY_EXISTS}; the repository's
 *     names are content hashes, so a second put of a name carries the same content and callers
 *     ignore it). {@link #replace} is the atomic overwrite that {@code config}, the key file and
 *     lock leases need.</li>
 * <li>a missing object is {@link java.nio.file.NoSuchFileException} naming it, from
 *     {@link #get}, {@link #read} and {@link #reader}; {@link #stat} returns null; {@link #delete}
 *     of a missing object is not an error.</li>
 * <li>{@link #list} returns every object whose name starts with the prefix, at any depth.</li>
 * <li>a failure after the store's retries is an {@link IOException} whose message names the
 *     store and the object.</li>
 * </ul>
 * Thread-safe.
 */
public interface Store extends Closeable {
    /** An object's name, size and last modification. */
    record Entry(String name, long size, Instant modified) {}

    /** How the user names this store ({@code /srv/repo}, {@code s3:http://host:9000/bucket/prefix}), for messages. */
    String location();

    /** The directory of a local store (flock, direct I/O), or null for a remote one. */
    default java.nio.file.Path localRoot() {
        return null;
    }

    /** Publishes {@code data} as {@code name} atomically; ALREADY_EXISTS when it exists. */
    void put(String name, byte[] data) throws IOException;

    /** Publishes {@code data} as {@code name} atomically, replacing what is there. */
    void replace(String name, byte[] data) throws IOException;

    /** A new large object written in pieces (a pack) and published once by {@link Upload#commit}. */
    Upload upload() throws IOException;

    /** The whole object. */
    byte[] get(String name) throws IOException;

    /** Reads up to {@code len} bytes at {@code offset} into {@code dst[off..]}; fewer only at the end of the object. */
    int read(String name, long offset, byte[] dst, int off, int len) throws IOException;

    /** A reader over one object for many reads; {@code sequential}: reads go forwards (check streams packs). */
    Reader reader(String name, boolean sequential) throws IOException;

    /**
     * Writes the whole object into {@code out} from its offset 0, streamed (never all of it in
     * memory), and returns its size; a missing object is {@link java.nio.file.NoSuchFileException}.
     * A remote store resumes an interrupted transfer where it stopped.
     */
    default long copyTo(String name, java.nio.channels.FileChannel out) throws IOException {
        try (Reader r = reader(name, true)) {
            long size = r.size();
            for (long pos = 0; pos < size; ) {
                int n = (int) Math.min(1 << 20, size - pos);
                byte[] b = r.readFully(pos, n);
                if (b == null) throw new IOException(location() + ": " + name + " ended at " + pos + " of " + size);
                java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b);
                while (bb.hasRemaining()) out.write(bb, pos + bb.position());
                pos += n;
            }
            return size;
        }
    }

    /** Every object whose name starts with {@code prefix}. */
    List<Entry> list(String prefix) throws IOException;

    /** The object's entry, or null when it does not exist. */
    Entry stat(String name) throws IOException;

    /** Deletes the object; true when it existed (a remote store may not know, and says true). */
    boolean delete(String name) throws IOException;

    /** Makes deletions and publications under {@code prefix} durable (fsync of a directory; nothing remotely). */
    default void sync(String prefix) throws IOException {}

    /** A large object being written: positional writes in increasing order, then one {@link #commit}. */
    interface Upload extends AutoCloseable {
        /** Writes {@code b[off, off+len)} at {@code at}; ranges come in order without gaps. */
        void write(byte[] b, int off, int len, long at) throws IOException;

        /** Makes the first {@code length} bytes durable and publishes them as {@code name} (put-once: an existing object stays). Returns false when it existed. */
        boolean commit(String name, long length) throws IOException;

        /** Discards an uncommitted upload (and releases its resources after a commit). */
        @Override
        void close();
    }

    /** Reads of one object. */
    interface Reader extends Closeable {
        long size();

        /** {@code len} bytes at {@code pos}, or null when the object ends before. */
        byte[] readFully(long pos, int len) throws IOException;
    }

    /** True when {@code location} names a remote store ({@code s3:...}) rather than a directory. */
    static boolean isRemote(String location) {
        return location.startsWith("s3:");
    }
}
