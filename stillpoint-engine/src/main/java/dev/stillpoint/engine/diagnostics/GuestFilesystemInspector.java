package dev.stillpoint.engine.diagnostics;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads, through the guest agent, whether each ext2/3/4 filesystem of a running guest is clean and
 * whether the guest is frozen now.
 *
 * <p>Agent commands, in order:
 * <ol>
 *   <li>{@code guest-fsfreeze-status};</li>
 *   <li>{@code guest-get-fsinfo}: entries {@code {name, mountpoint, type, disk[]}}; entries whose
 *       {@code type} is ext2/ext3/ext4 are inspected, one per device ({@code /dev/} + {@code name},
 *       e.g. {@code vda1}, {@code dm-0}; bind mounts of one device are merged);</li>
 *   <li>per device {@code guest-exec} of {@code /sbin/dumpe2fs -h DEVICE} with captured output, then
 *       {@code guest-exec-status} polled until {@code exited}; the line
 *       {@code Filesystem state: <text>} of the base64 {@code out-data} gives the state.</li>
 * </ol>
 * qemu-ga refuses guest-exec while the guest is frozen, so a frozen guest gets its freeze status
 * and device list but no states (each filesystem says why). A failing dumpe2fs or agent command is
 * recorded on that filesystem and the others are still inspected; only an agent that does not
 * answer at all fails the whole call.
 */
public final class GuestFilesystemInspector {
    static final String DUMPE2FS = "/sbin/dumpe2fs";
    private static final Set<String> EXT = Set.of("ext2", "ext3", "ext4");
    private static final Pattern VERSION_BANNER = Pattern.compile("dumpe2fs \\d[\\w.-]* \\(.*\\)");
    private static final Pattern STATE = Pattern.compile("(?m)^Filesystem state:\\s*(.+?)\\s*$");

    private final Duration pollInterval;

    public GuestFilesystemInspector() {
        this(Duration.ofMillis(200));
    }

    GuestFilesystemInspector(Duration pollInterval) {
        this.pollInterval = pollInterval;
    }

    /**
     * @param timeout for each agent command, and for each dumpe2fs run to finish
     */
    public FilesystemStateReport inspect(VmDomain domain, Duration timeout) throws VmException {
        VmDomain.GuestAgent agent = domain.agent();
        String freeze = agent.freezeStatus(timeout);
        Object fsinfo = call(agent, Map.of("execute", "guest-get-fsinfo"), timeout);
        Map<String, FilesystemState> byDevice = new LinkedHashMap<>();
        int others = 0;
        if (fsinfo instanceof List<?> list) {
            for (Object o : list) {
                if (!(o instanceof Map<?, ?> fs) || !(fs.get("type") instanceof String type) || !EXT.contains(type)) {
                    others++;
                    continue;
                }
                String name = String.valueOf(fs.get("name"));
                String device = name.startsWith("/") ? name : "/dev/" + name;
                String mp = fs.get("mountpoint") == null ? null : fs.get("mountpoint").toString();
                FilesystemState prev = byDevice.get(device);
                List<String> mps = new ArrayList<>(prev == null ? List.of() : prev.mountpoints());
                if (mp != null) {
                    mps.add(mp);
                }
                byDevice.put(device, new FilesystemState(device, List.copyOf(mps), type, null, null));
            }
        }
        List<FilesystemState> out = new ArrayList<>();
        for (FilesystemState fs : byDevice.values()) {
            if ("frozen".equals(freeze)) {
                out.add(withError(fs, "not read: the guest is frozen and the agent refuses guest-exec until it is thawed"));
            } else {
                out.add(read(agent, fs, timeout));
            }
        }
        return new FilesystemStateReport(domain.name(), freeze, List.copyOf(out), others);
    }

    private FilesystemState read(VmDomain.GuestAgent agent, FilesystemState fs, Duration timeout) {
        try {
            Map<String, Object> args = new LinkedHashMap<>();
            args.put("path", DUMPE2FS);
            args.put("arg", List.of("-h", fs.device()));
            args.put("capture-output", true);
            Object started = call(agent, Map.of("execute", "guest-exec", "arguments", args), timeout);
            if (!(started instanceof Map<?, ?> s) || !(s.get("pid") instanceof Number pid)) {
                return withError(fs, "guest-exec returned no pid: " + started);
            }
            Map<?, ?> status = await(agent, pid.longValue(), fs.device(), timeout);
            if (status == null) {
                return withError(fs, DUMPE2FS + " -h " + fs.device() + " did not finish within " + timeout.toSeconds() + " s");
            }
            String stdout = decode(status.get("out-data"));
            Matcher m = STATE.matcher(stdout);
            if (m.find()) {
                return new FilesystemState(fs.device(), fs.mountpoints(), fs.type(), m.group(1), null);
            }
            // stderr starts with the version banner "dumpe2fs 1.47.0 (5-Feb-2023)"; the reason follows it
            String stderr = String.join(" ", decode(status.get("err-data")).lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !VERSION_BANNER.matcher(l).matches()).limit(3).toList());
            return withError(fs, DUMPE2FS + " -h " + fs.device() + " exited " + status.get("exitcode")
                    + " without a 'Filesystem state' line" + (stderr.isEmpty() ? "" : ": " + stderr));
        } catch (VmException e) {
            return withError(fs, e.code() + ": " + e.getMessage());
        }
    }

    private Map<?, ?> await(VmDomain.GuestAgent agent, long pid, String device, Duration timeout) throws VmException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Object r = call(agent, Map.of("execute", "guest-exec-status", "arguments", Map.of("pid", pid)), timeout);
            if (r instanceof Map<?, ?> st && Boolean.TRUE.equals(st.get("exited"))) {
                return st;
            }
            if (System.nanoTime() >= deadline) {
                return null;
            }
            try {
                Thread.sleep(pollInterval.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VmException(VmException.Code.OPERATION_FAILED, "interrupted while waiting for dumpe2fs on " + device, e);
            }
        }
    }

    /** Sends one command and returns its {@code return} value; an {@code error} reply becomes a VmException. */
    private static Object call(VmDomain.GuestAgent agent, Map<String, Object> command, Duration timeout) throws VmException {
        String reply;
        try {
            reply = agent.command(JSON.std.asString(command), timeout);
        } catch (IOException e) {
            throw new VmException(VmException.Code.OPERATION_FAILED, "cannot encode agent command " + command, e);
        }
        Object parsed;
        try {
            parsed = JSON.std.anyFrom(reply);
        } catch (IOException e) {
            throw new VmException(VmException.Code.OPERATION_FAILED, command.get("execute") + ": reply is not JSON: " + reply, e);
        }
        if (parsed instanceof Map<?, ?> m) {
            if (m.containsKey("return")) {
                return m.get("return");
            }
            if (m.get("error") instanceof Map<?, ?> err) {
                throw new VmException(VmException.Code.OPERATION_FAILED, command.get("execute") + " failed: " + err.get("desc"));
            }
        }
        throw new VmException(VmException.Code.OPERATION_FAILED, command.get("execute") + ": unexpected reply " + reply);
    }

    private static String decode(Object b64) {
        if (!(b64 instanceof String s) || s.isEmpty()) {
            return "";
        }
        try {
            return new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    private static FilesystemState withError(FilesystemState fs, String error) {
        return new FilesystemState(fs.device(), fs.mountpoints(), fs.type(), null, error);
    }
}
