package dev.stillpoint.repository;

import dev.stillpoint.repository.store.Store;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What an append-only key sees (an S3 bucket policy without {@code s3:DeleteObject}, a WORM
 * store): deletes and overwrites are refused with ACCESS_DENIED, as S3 answers 403, except for
 * the lock objects this store wrote itself (stricter than a bucket policy on {@code locks/*});
 * a delete of a missing object is refused too (S3 checks the permission before the key). Every
 * refused request is recorded.
 */
final class AppendOnlyStore extends ForwardingStore {
    final List<String> refused = new CopyOnWriteArrayList<>();
    private final Set<String> ownLocks = ConcurrentHashMap.newKeySet();

    AppendOnlyStore(Store store) {
        super(store);
    }

    private void refuse(String op, String name) throws RepositoryException {
        if (ownLocks.contains(name)) return;
        refused.add(op + " " + name);
        throw new RepositoryException(
                RepositoryException.Code.ACCESS_DENIED,
                location() + ": " + op + " " + name + " refused (403 AccessDenied): append-only");
    }

    @Override
    public void put(String name, byte[] data) throws IOException {
        super.put(name, data);
        if (name.startsWith("locks/")) ownLocks.add(name);
    }

    @Override
    public void replace(String name, byte[] data) throws IOException {
        refuse("PUT (overwrite)", name);
        super.replace(name, data);
    }

    @Override
    public boolean delete(String name) throws IOException {
        refuse("DELETE", name);
        return super.delete(name);
    }
}
