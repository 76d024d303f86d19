package dev.stillpoint.engine.backup;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.qemu.nbd.NbdClient;
import java.io.IOException;
import java.nio.file.Path;

/** Serves the disk of a shut-off domain read-only over NBD (production: {@code qemu-nbd}). */
public interface OfflineExporter {

    /**
     * Starts serving {@code disk} on a unix socket at {@code socket}; closing stops it and removes
     * the socket. With {@code bitmap} (a persistent qcow2 bitmap, named like the libvirt checkpoint
     * that made it) the export also offers {@link #dirtyBitmapContext(String)}; when the image has
     * no such bitmap, or it is marked in-use (unclean shutdown), this throws {@code TOOL_FAILED}.
     */
    Export export(VmDisk disk, Path socket, String bitmap) throws IOException, EngineException;

    /** The NBD meta context under which {@code qemu-nbd -B NAME} serves bitmap NAME. */
    static String dirtyBitmapContext(String bitmap) {
        return NbdClient.DIRTY_BITMAP_PREFIX + bitmap;
    }

    /** A running export. */
    interface Export extends AutoCloseable {
        Path socket();

        String exportName();

        /**
         * Why the server may have failed after it started listening (qemu-nbd binds its socket
         * before it opens the image and the bitmap): its exit status and output, or "" while it runs.
         */
        default String diagnostics() {
            return "";
        }

        @Override
        void close();
    }

    /** The production exporter: {@code qemu-nbd --read-only --socket=... -f FORMAT [-B BITMAP] FILE}. */
    static OfflineExporter qemuNbd() {
        return new QemuNbdExporter("qemu-nbd");
    }
}
