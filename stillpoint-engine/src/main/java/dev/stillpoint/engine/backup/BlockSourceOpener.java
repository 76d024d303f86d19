package dev.stillpoint.engine.backup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Connects to an NBD export on a unix socket, negotiating the given meta contexts. */
@FunctionalInterface
public interface BlockSourceOpener {
    BlockSource open(Path unixSocket, String export, List<String> metaContexts) throws IOException;

    /** The production opener: Stillpoint's NBD client. */
    static BlockSourceOpener nbd() {
        return NbdBlockSource::open;
    }
}
