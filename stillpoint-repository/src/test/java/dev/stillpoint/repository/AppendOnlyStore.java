package dev.stillpoint.repository;

import dev.stillpoint.repository.store.Store;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What an append-only key sees (an S3 bucket policy without {@code s3:DeleteObject}, a WORM
 * store): deletes and overwrites are refused with ACCESS_DENIED, as S3 answers 403, except for
 * the lock objects this store wrote itself (stricter than a bucket policy on {@code locks/*});
 * a delete of a missing object is refused too (S3 checks the permission before the key). Every
 * refused request is recorded.
 */
final class AppendOnlyStore implements Store {
    private final Store store;
    final List<String> refused = new CopyOnWriteArrayList<>();
    private final java.util.Set<String> ownLocks = java.util.concurrent.ConcurrentHashMap.newKeySet();

    AppendOnlyStore(Store store) {
        this.store = store;
    }

    private void refuse(String op, String name) throws RepositoryException {
        if (ownLocks.contains(name)) return;
        refused.add(op + " " + name);
        throw new RepositoryException(
                RepositoryException.Code.ACCESS_DENIED,
                location() + ": " + op + " " + name + " refused (403 AccessDenied): append-only");
    }

    @Override
    public String location() {
        return store.location();
    }

    @Override
    public java.nio.file.Path localRoot() {
        return store.localRoot();
    }

    @Override
    public void put(String name, byte[] data) throws IOException {
        store.put(name, data);
        if (name.startsWith("locks/")) ownLocks.add(name);
    }

    @Override
    public void replace(String name, byte[] data) throws IOException {
        refuse("PUT (overwrite)", name);
        store.replace(name, data);
    }

    @Override
    public Upload upload() throws IOException {
        return store.upload();
    }

    @Override
    public byte[] get(String name) throws IOException {
        return store.get(name);
    }

    @Override
    public int read(String name, long offset, byte[] dst, int off, int len) throws IOException {
        return store.read(name, offset, dst, off, len);
    }

    @Override
    public Reader reader(String name, boolean sequential) throws IOException {
        return store.reader(name, sequential);
    }

    @Override
    public List<Entry> list(String prefix) throws IOException {
        return store.list(prefix);
    }

    @Override
    public Entry stat(String name) throws IOException {
        return store.stat(name);
    }

    @Override
    public boolean delete(String name) throws IOException {
        refuse("DELETE", name);
        return store.delete(name);
    }

    @Override
    public void sync(String prefix) throws IOException {
        store.sync(prefix);
    }

    @Override
    public void close() throws IOException {
        store.close();
    }
}
