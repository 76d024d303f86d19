package dev.stillpoint.engine.diagnostics;

import dev.stillpoint.engine.vm.GuestExec;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.time.Duration;
import java.util.ArrayList;
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
 * qemu-ga refuses guest-get-fsinfo and guest-exec while the guest is frozen ("has been disabled:
 * the agent is in frozen state", measured with qemu-ga 7.2 in a Debian 12 guest), so a frozen
 * guest gets only its freeze status and a note. A failing dumpe2fs or agent command is
 * recorded on that filesystem and the others are still inspected; only an agent that does not
 * answer at all fails the whole call.
 */
public final class GuestFilesystemInspector {
    static final String DUMPE2FS = "/sbin/dumpe2fs";
    static final String FROZEN_NOTE = "the guest is frozen: its agent refuses guest-get-fsinfo and guest-exec "
            + "until the filesystems are thawed, so their state cannot be read now";
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
        if ("frozen".equals(freeze)) {
            return new FilesystemStateReport(domain.name(), freeze, List.of(), 0, FROZEN_NOTE);
        }
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
                String mp = fs.get("mountpoint") == null
                        ? null
                        : fs.get("mountpoint").toString();
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
            out.add(read(agent, fs, timeout));
        }
        return new FilesystemStateReport(domain.name(), freeze, List.copyOf(out), others, null);
    }

    private FilesystemState read(VmDomain.GuestAgent agent, FilesystemState fs, Duration timeout) {
        try {
            GuestExec.Result r = GuestExec.run(agent, DUMPE2FS, List.of("-h", fs.device()), timeout, pollInterval);
            if (r == null) {
                return withError(
                        fs, DUMPE2FS + " -h " + fs.device() + " did not finish within " + timeout.toSeconds() + " s");
            }
            Matcher m = STATE.matcher(r.stdout());
            if (m.find()) {
                return new FilesystemState(fs.device(), fs.mountpoints(), fs.type(), m.group(1), null);
            }
            // stderr starts with the version banner "dumpe2fs 1.47.0 (5-Feb-2023)"; the reason follows it
            String stderr = String.join(
                    " ",
                    r.stderr()
                            .lines()
                            .map(String::strip)
                            .filter(l ->
                                    !l.isEmpty() && !VERSION_BANNER.matcher(l).matches())
                            .limit(3)
                            .toList());
            return withError(
                    fs,
                    DUMPE2FS + " -h " + fs.device() + " exited " + r.exitCode() + " without a 'Filesystem state' line"
                            + (stderr.isEmpty() ? "" : ": " + stderr));
        } catch (VmException e) {
            return withError(fs, e.code() + ": " + e.getMessage());
        }
    }

    private static Object call(VmDomain.GuestAgent agent, Map<String, Object> command, Duration timeout)
            throws VmException {
        return GuestExec.call(agent, command, timeout);
    }

    private static FilesystemState withError(FilesystemState fs, String error) {
        return new FilesystemState(fs.device(), fs.mountpoints(), fs.type(), null, error);
    }
}
