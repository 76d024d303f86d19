package dev.stillpoint.engine.fakes;

import dev.stillpoint.repository.ImageReader;
import dev.stillpoint.repository.ImageWriter;
import dev.stillpoint.repository.ProgressListener;
import dev.stillpoint.repository.Repository;
import dev.stillpoint.repository.RepositoryException;
import dev.stillpoint.repository.SnapshotInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A repository in memory: every snapshot keeps its whole image as a byte array. */
public final class InMemoryRepository implements Repository {

    public record Stored(SnapshotInfo info, byte[] data) {}

    private final Map<String, Stored> snapshots = new LinkedHashMap<>();
    private int next = 1;
    public int writersOpened;
    public int writersAbandoned;
    /** When set, {@link #snapshot} throws it (a locked or damaged repository). */
    public IOException failLookups;

    @Override
    public synchronized ImageWriter newImage(
            String name, long size, String parent, Map<String, String> tags, ProgressListener progress)
            throws IOException {
        byte[] data = new byte[Math.toIntExact(size)];
        if (parent != null) {
            byte[] p = get(parent).data();
            System.arraycopy(p, 0, data, 0, Math.min(p.length, data.length));
        }
        writersOpened++;
        return new ImageWriter() {
            long lastEnd;
            long written;
            boolean committed;

            @Override
            public void write(long offset, ByteBuffer src) throws IOException {
                order(offset);
                int n = src.remaining();
                src.get(data, (int) offset, n);
                lastEnd = offset + n;
                written += n;
            }

            @Override
            public void writeZeroes(long offset, long length) throws IOException {
                order(offset);
                Arrays.fill(data, (int) offset, (int) (offset + length), (byte) 0);
                lastEnd = offset + length;
            }

            private void order(long offset) throws IOException {
                if (offset < lastEnd)
                    throw new IOException("write at " + offset + " before end of previous " + lastEnd);
            }

            @Override
            public SnapshotInfo commit() {
                synchronized (InMemoryRepository.this) {
                    String id = String.format("%08x", next++) + "deadbeef";
                    SnapshotInfo info = new SnapshotInfo(
                            id, name, Instant.now(), size, parent, Map.copyOf(tags), allocated(data), written);
                    snapshots.put(id, new Stored(info, data));
                    committed = true;
                    return info;
                }
            }

            @Override
            public void close() {
                if (!committed) writersAbandoned++;
            }
        };
    }

    private static long allocated(byte[] data) {
        long n = 0;
        for (byte b : data) if (b != 0) n++;
        return n;
    }

    public synchronized Stored get(String id) throws RepositoryException {
        Stored s = snapshots.get(id);
        if (s == null) throw new RepositoryException(RepositoryException.Code.NOT_FOUND, "no snapshot " + id);
        return s;
    }

    public synchronized void remove(String id) {
        snapshots.remove(id);
    }

    public final List<dev.stillpoint.repository.RepositoryRecord> records = new ArrayList<>();

    @Override
    public synchronized dev.stillpoint.repository.RepositoryRecord putRecord(
            String name, Map<String, String> snapshotIds, String body) throws IOException {
        for (String id : snapshotIds.values()) get(id);
        var r = new dev.stillpoint.repository.RepositoryRecord(
                String.format("%064x", records.size() + 1), name, Instant.now(), snapshotIds, body);
        records.add(r);
        return r;
    }

    @Override
    public synchronized List<dev.stillpoint.repository.RepositoryRecord> records() {
        return List.copyOf(records);
    }

    @Override
    public synchronized List<SnapshotInfo> snapshots() {
        return new ArrayList<>(snapshots.values().stream().map(Stored::info).toList());
    }

    @Override
    public synchronized SnapshotInfo snapshot(String idOrPrefix) throws IOException {
        if (failLookups != null) throw failLookups;
        List<SnapshotInfo> hits = snapshots.values().stream()
                .map(Stored::info)
                .filter(i -> i.id().startsWith(idOrPrefix))
                .toList();
        if (hits.size() != 1)
            throw new RepositoryException(RepositoryException.Code.NOT_FOUND, "no snapshot " + idOrPrefix);
        return hits.getFirst();
    }

    @Override
    public synchronized ImageReader openImage(String snapshotId) throws IOException {
        byte[] data = get(snapshotId).data();
        return new ImageReader() {
            @Override
            public long size() {
                return data.length;
            }

            @Override
            public List<Extent> allocated() {
                List<Extent> out = new ArrayList<>();
                int bs = 4096;
                for (int off = 0; off < data.length; off += bs) {
                    int len = Math.min(bs, data.length - off);
                    boolean nz = false;
                    for (int i = off; i < off + len && !nz; i++) nz = data[i] != 0;
                    if (!nz) continue;
                    if (!out.isEmpty() && out.getLast().offset() + out.getLast().length() == off) {
                        Extent last = out.removeLast();
                        out.add(new Extent(last.offset(), last.length() + len));
                    } else {
                        out.add(new Extent(off, len));
                    }
                }
                return out;
            }

            @Override
            public void read(long offset, ByteBuffer dst) {
                dst.put(data, (int) offset, dst.remaining());
            }

            @Override
            public void restoreTo(FileChannel target, ProgressListener progress) throws IOException {
                long done = 0;
                for (Extent e : allocated()) {
                    ByteBuffer b = ByteBuffer.wrap(data, (int) e.offset(), (int) e.length());
                    while (b.hasRemaining()) target.write(b, e.offset() + (b.position() - e.offset()));
                    done += e.length();
                    progress.progress(done, -1);
                }
                if (target.size() < data.length) {
                    target.write(ByteBuffer.wrap(new byte[1]), data.length - 1L);
                    if (data[data.length - 1] != 0) throw new IllegalStateException();
                }
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public void close() {}
}
