package dev.stillpoint.repository;

import dev.stillpoint.repository.store.Store;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The repository in a local (or mounted) directory, with the layout it always had: an object is
 * the file of the same relative path. Publication: temp file (in {@code tmp/}, or in
 * {@code keys/} and {@code locks/} themselves, which are written without the lock under which
 * {@code prune} empties {@code tmp/}), fsync, then a hard link (put-once: {@code link(2)} fails
 * on an existing name) or a rename (replace), then fsync of the directory. Packs are written with
 * {@code O_DIRECT} through {@link DirectWriter} where the filesystem allows it. Reads keep up to
 * {@link #MAX_CHANNELS} files open.
 */
final class LocalStore implements Store {
    private static final int MAX_CHANNELS = 16;
    private final Path root;
    private final LinkedHashMap<String, FileChannel> channels = new LinkedHashMap<>(32, 0.75f, true);

    LocalStore(Path root) {
        this.root = root.toAbsolutePath();
    }

    @Override
    public String location() {
        return root.toString();
    }

    @Override
    public Path localRoot() {
        return root;
    }

    Path path(String name) {
        return root.resolve(name);
    }

    private Path tmpDirFor(String name) throws IOException {
        Path dir = name.startsWith("keys/") || name.startsWith("locks/")
                ? path(name).getParent()
                : root.resolve("tmp");
        return Files.createDirectories(dir);
    }

    @Override
    public void put(String name, byte[] data) throws IOException {
        boolean published;
        try {
            Path tmp = writeTemp(name, data);
            try {
                published = publishOnce(tmp, path(name));
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw RepositoryException.ofIo("writing " + path(name), e); // FULL or IO_ERROR
        }
        if (!published)
            throw new RepositoryException(RepositoryException.Code.ALREADY_EXISTS, path(name) + " already exists");
    }

    @Override
    public void replace(String name, byte[] data) throws IOException {
        try {
            Path tmp = writeTemp(name, data);
            try {
                AtomicFiles.publish(tmp, path(name));
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw RepositoryException.ofIo("writing " + path(name), e);
        }
    }

    private Path writeTemp(String name, byte[] data) throws IOException {
        Path tmp = Files.createTempFile(tmpDirFor(name), "w-", ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) ch.write(b);
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        return tmp;
    }

    /** Links the durable {@code tmp} to {@code target} unless that exists; the caller deletes {@code tmp}. */
    private static boolean publishOnce(Path tmp, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        try {
            Files.createLink(target, tmp);
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (UnsupportedOperationException | FileSystemException e) {
            if (e instanceof NoSuchFileException) throw e;
            // no hard links here (some network filesystems): rename, the name being a content hash
            if (Files.exists(target)) return false;
            AtomicFiles.publish(tmp, target);
            return true;
        }
        AtomicFiles.fsyncDir(target.getParent());
        return true;
    }

    @Override
    public Store.Upload upload() throws IOException {
        Path tmp = Files.createTempFile(tmpDirFor("data/"), "pack-", ".tmp");
        DirectWriter direct = DirectWriter.open(tmp, 0);
        return new FileUpload(tmp, direct == null ? FileChannel.open(tmp, StandardOpenOption.WRITE) : null, direct);
    }

    /** A temp file in {@code tmp/}, written directly where the filesystem allows it. */
    private final class FileUpload implements Store.Upload {
        private final Path tmp;
        private final DirectWriter direct;
        private final FileChannel ch;
        private boolean closed;

        FileUpload(Path tmp, FileChannel ch, DirectWriter direct) {
            this.tmp = tmp;
            this.ch = ch;
            this.direct = direct;
        }

        @Override
        public void write(byte[] b, int off, int len, long at) throws IOException {
            if (direct != null) {
                direct.write(b, off, len, at);
                return;
            }
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) at += ch.write(buf, at);
        }

        @Override
        public boolean commit(String name, long length) throws IOException {
            try {
                if (direct != null) {
                    direct.finish(length);
                    direct.force();
                } else {
                    ch.force(true);
                }
                closeChannels();
                return publishOnce(tmp, path(name));
            } catch (IOException e) {
                throw RepositoryException.ofIo("writing " + path(name), e);
            } finally {
                close();
            }
        }

        private void closeChannels() throws IOException {
            if (closed) return;
            closed = true;
            if (direct != null) direct.close();
            else ch.close();
        }

        @Override
        public void close() {
            try {
                closeChannels();
            } catch (IOException ignored) {
                /* deleting anyway */
            }
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                /* tmp/ is garbage, prune clears it */
            }
        }
    }

    @Override
    public byte[] get(String name) throws IOException {
        return Files.readAllBytes(path(name));
    }

    @Override
    public int read(String name, long offset, byte[] dst, int off, int len) throws IOException {
        for (int attempt = 0; ; attempt++) {
            FileChannel ch = channel(name);
            try {
                ByteBuffer b = ByteBuffer.wrap(dst, off, len);
                while (b.hasRemaining()) {
                    if (ch.read(b, offset + b.position() - off) < 0) break;
                }
                return b.position() - off;
            } catch (ClosedChannelException e) {
                forgetChannel(name, ch); // evicted by another reader: open it again
                if (attempt >= 3 || Thread.currentThread().isInterrupted()) throw e;
            }
        }
    }

    private FileChannel channel(String name) throws IOException {
        synchronized (channels) {
            FileChannel c = channels.get(name);
            if (c != null && c.isOpen()) return c;
            c = FileChannel.open(path(name), StandardOpenOption.READ);
            channels.put(name, c);
            if (channels.size() > MAX_CHANNELS) {
                var it = channels.entrySet().iterator();
                var eldest = it.next();
                it.remove();
                eldest.getValue().close(); // a reader still using it retries with a fresh channel
            }
            return c;
        }
    }

    private void forgetChannel(String name, FileChannel c) {
        synchronized (channels) {
            if (channels.get(name) == c) channels.remove(name);
        }
    }

    @Override
    public Store.Reader reader(String name, boolean sequential) throws IOException {
        Path file = path(name);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        DirectReader direct = sequential ? DirectReader.open(file) : null;
        long size = ch.size();
        return new Store.Reader() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public byte[] readFully(long pos, int len) throws IOException {
                if (direct != null) return direct.readFully(pos, len);
                byte[] a = new byte[len];
                ByteBuffer b = ByteBuffer.wrap(a);
                while (b.hasRemaining()) if (ch.read(b, pos + b.position()) < 0) return null;
                return a;
            }

            @Override
            public void close() throws IOException {
                try (ch) {
                    if (direct != null) direct.close();
                }
            }
        };
    }

    @Override
    public List<Store.Entry> list(String prefix) throws IOException {
        List<Store.Entry> out = new ArrayList<>();
        int slash = prefix.lastIndexOf('/');
        Path dir = slash < 0 ? root : path(prefix.substring(0, slash));
        if (!Files.isDirectory(dir)) return out;
        Files.walkFileTree(dir, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                String n = root.relativize(f).toString().replace(java.io.File.separatorChar, '/');
                if (a.isRegularFile() && n.startsWith(prefix))
                    out.add(new Store.Entry(n, a.size(), a.lastModifiedTime().toInstant()));
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                if (e instanceof NoSuchFileException)
                    return java.nio.file.FileVisitResult.CONTINUE; // removed meanwhile
                throw e;
            }
        });
        return out;
    }

    @Override
    public Store.Entry stat(String name) throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(path(name), BasicFileAttributes.class);
            return new Store.Entry(name, a.size(), a.lastModifiedTime().toInstant());
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public boolean delete(String name) throws IOException {
        return Files.deleteIfExists(path(name));
    }

    @Override
    public void sync(String prefix) {
        int slash = prefix.lastIndexOf('/');
        AtomicFiles.fsyncDir(slash < 0 ? root : path(prefix.substring(0, slash)));
    }

    @Override
    public void close() throws IOException {
        synchronized (channels) {
            for (FileChannel c : channels.values()) c.close();
            channels.clear();
        }
    }
}
