package dev.stillpoint.engine.instant;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.restore.DomainXmlRewriter.NbdBacking;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** qcow2 overlays over an NBD export: the guest writes here, the backup is never written. */
public final class Overlays {
    private Overlays() {}

    /** {@code qemu-img create -f qcow2 -F raw -b nbd+unix:///DISK?socket=… OVERLAY} (the export must be serving). */
    public static void create(Path overlay, NbdBacking backing) throws EngineException, IOException {
        create("qemu-img", overlay, backing);
    }

    static void create(String qemuImg, Path overlay, NbdBacking backing) throws EngineException, IOException {
        List<String> cmd =
                List.of(qemuImg, "create", "-q", "-f", "qcow2", "-F", "raw", "-b", backing.uri(), overlay.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new EngineException(Code.TOOL_FAILED, String.join(" ", cmd) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineException(Code.CANCELLED, "interrupted while creating overlay " + overlay);
        }
    }
}
