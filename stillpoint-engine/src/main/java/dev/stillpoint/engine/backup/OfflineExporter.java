package dev.stillpoint.engine.backup;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.vm.VmDisk;

import java.io.IOException;
import java.nio.file.Path;

/** Serves the disk of a shut-off domain read-only over NBD (production: {@code qemu-nbd}). */
public interface OfflineExporter {

    /** Starts serving {@code disk} on a unix socket at {@code socket}; closing stops it and removes the socket. */
    Export export(VmDisk disk, Path socket) throws IOException, EngineException;

    /** A running export. */
    interface Export extends AutoCloseable {
        Path socket();

        String exportName();

        @Override
        void close();
    }

    /** The production exporter: {@code qemu-nbd --read-only --socket=... -f FORMAT FILE}. */
    static OfflineExporter qemuNbd() { return new QemuNbdExporter("qemu-nbd"); }
}
