package dev.stillpoint.engine.backup;

import dev.stillpoint.qemu.nbd.BlockExtent;
import dev.stillpoint.qemu.nbd.NbdClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/** {@link BlockSource} over the Java NBD client (unix socket). */
final class NbdBlockSource implements BlockSource {

    private final NbdClient client;

    private NbdBlockSource(NbdClient client) {
        this.client = client;
    }

    static BlockSource open(Path unixSocket, String export, List<String> metaContexts) throws IOException {
        return new NbdBlockSource(NbdClient.connect(unixSocket, export, metaContexts));
    }

    @Override
    public long size() {
        return client.size();
    }

    @Override
    public boolean hasContext(String context) {
        return client.hasContext(context);
    }

    @Override
    public List<BlockExtent> blockStatus(String context, long offset, long length) throws IOException {
        return client.blockStatus(context, offset, length);
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        client.read(offset, dst);
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
