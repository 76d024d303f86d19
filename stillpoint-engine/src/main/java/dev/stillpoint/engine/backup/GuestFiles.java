package dev.stillpoint.engine.backup;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.engine.vm.VmDomain.GuestAgent;
import dev.stillpoint.engine.vm.VmException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** Whole small files in the guest through the agent's guest-file-open/read/write/close. */
final class GuestFiles {
    private GuestFiles() {}

    /** The file's bytes (at most {@code max}), or null when it is absent or the agent cannot read it. */
    static byte[] read(GuestAgent agent, String path, int max, Duration timeout) {
        Object handle = null;
        try {
            handle = JSON.std
                    .mapFrom(agent.command(command("guest-file-open", "path", path, "mode", "r"), timeout))
                    .get("return");
            if (!(handle instanceof Number)) return null;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            while (out.size() < max) {
                Map<String, Object> reply = JSON.std.mapFrom(
                        agent.command(command("guest-file-read", "handle", handle, "count", 65536), timeout));
                if (!(reply.get("return") instanceof Map<?, ?> r)) return null;
                Object b64 = r.get("buf-b64");
                if (b64 instanceof String s && !s.isEmpty())
                    out.writeBytes(Base64.getDecoder().decode(s));
                if (Boolean.TRUE.equals(r.get("eof")) || !(r.get("count") instanceof Number n) || n.intValue() == 0)
                    break;
            }
            return out.toByteArray();
        } catch (VmException | IOException | RuntimeException e) {
            return null;
        } finally {
            close(agent, handle, timeout);
        }
    }

    /** Creates or truncates {@code path} and writes {@code content} (small: one guest-file-write). */
    static void write(GuestAgent agent, String path, byte[] content, Duration timeout) throws VmException {
        Object handle = null;
        try {
            handle = JSON.std
                    .mapFrom(agent.command(command("guest-file-open", "path", path, "mode", "w"), timeout))
                    .get("return");
            if (!(handle instanceof Number)) {
                throw new VmException(VmException.Code.OPERATION_FAILED, "guest-file-open " + path + ": no handle");
            }
            agent.command(
                    command(
                            "guest-file-write",
                            "handle",
                            handle,
                            "buf-b64",
                            Base64.getEncoder().encodeToString(content)),
                    timeout);
        } catch (IOException e) {
            throw new VmException(
                    VmException.Code.OPERATION_FAILED,
                    "guest-file-open " + path + ": unreadable reply: " + e.getMessage());
        } finally {
            close(agent, handle, timeout);
        }
    }

    private static void close(GuestAgent agent, Object handle, Duration timeout) {
        if (!(handle instanceof Number)) return;
        try {
            agent.command(command("guest-file-close", "handle", handle), timeout);
        } catch (VmException | RuntimeException ignored) {
            // the handle dies with the agent; nothing else to do
        }
    }

    private static String command(String execute, Object... args) {
        Map<String, Object> a = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i += 2) a.put((String) args[i], args[i + 1]);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("execute", execute);
        c.put("arguments", a);
        try {
            return JSON.std.asString(c);
        } catch (IOException e) {
            throw new IllegalStateException(e); // strings and numbers only
        }
    }
}
