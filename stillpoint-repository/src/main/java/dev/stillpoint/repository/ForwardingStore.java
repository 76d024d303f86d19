package dev.stillpoint.repository;

import dev.stillpoint.repository.store.Store;
import java.io.IOException;
import java.util.List;

/** A store that passes every call to another; a decorator overrides what it changes ({@link CachedStore}, tests' faulty stores). */
class ForwardingStore implements Store {
    final Store store;

    ForwardingStore(Store store) {
        this.store = store;
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
    }

    @Override
    public void replace(String name, byte[] data) throws IOException {
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
    public long copyTo(String name, java.nio.channels.FileChannel out) throws IOException {
        return store.copyTo(name, out);
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
