package dev.stillpoint.engine.diagnostics;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A running domain whose guest agent answers guest-fsfreeze-status, guest-get-fsinfo, guest-exec
 * and guest-exec-status like qemu-ga (replies wrapped in {"return": ...}; guest-exec refused while
 * frozen). Everything else is unsupported.
 */
final class FakeInspectedDomain implements VmDomain {
    final Agent agent = new Agent();

    @Override
    public String name() {
        return "sp-diag-fake";
    }

    @Override
    public String uuid() {
        return "00000000-0000-0000-0000-00000000d1a9";
    }

    @Override
    public State state() {
        return State.RUNNING;
    }

    @Override
    public String xml(boolean inactive) {
        throw new UnsupportedOperationException();
    }

    @Override
    public List<VmDisk> disks() {
        throw new UnsupportedOperationException();
    }

    @Override
    public GuestAgent agent() {
        return agent;
    }

    @Override
    public List<String> checkpoints() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void deleteCheckpoint(String name) {
        throw new UnsupportedOperationException();
    }

    @Override
    public BackupSession beginBackup(
            List<String> disks, Path socket, Path scratchDir, String newCheckpoint, String incrementalFrom) {
        throw new UnsupportedOperationException();
    }

    @Override
    public java.util.Optional<java.nio.file.Path> activeBackupSocket() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void abortJob() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void blockPull(String disk) {
        throw new UnsupportedOperationException("no block jobs here");
    }

    @Override
    public java.util.Optional<BlockJob> blockJob(String disk) {
        return java.util.Optional.empty();
    }

    @Override
    public List<Leftover> leftovers() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void start() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void destroy() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void undefine() {
        throw new UnsupportedOperationException();
    }

    /** dumpe2fs output per device; a device missing here makes dumpe2fs fail like on a real guest. */
    static final class Agent implements GuestAgent {
        final List<String> commands = new ArrayList<>();
        final List<Map<String, Object>> fsinfo = new ArrayList<>();
        final Map<String, String> dumpe2fsState = new LinkedHashMap<>();
        boolean frozen;
        boolean available = true;
        boolean execDisabled;
        /** guest-exec-status answers exited:false this many times per process first. */
        int runningPolls = 1;

        private final Map<Long, String> processes = new LinkedHashMap<>();
        private final Map<Long, Integer> polls = new LinkedHashMap<>();
        private long nextPid = 1000;

        void addFs(String name, String mountpoint, String type) {
            Map<String, Object> fs = new LinkedHashMap<>();
            fs.put("name", name);
            fs.put("mountpoint", mountpoint);
            fs.put("type", type);
            fs.put("disk", List.of());
            fsinfo.add(fs);
        }

        @Override
        public boolean ping(Duration timeout) {
            return available;
        }

        @Override
        public int freeze(Duration timeout) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int thaw(Duration timeout) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String freezeStatus(Duration timeout) throws VmException {
            if (!available) {
                throw new VmException(VmException.Code.AGENT_UNAVAILABLE, "guest agent is not connected");
            }
            commands.add("guest-fsfreeze-status");
            return frozen ? "frozen" : "thawed";
        }

        @Override
        @SuppressWarnings("unchecked")
        public String command(String json, Duration timeout) throws VmException {
            Map<String, Object> cmd;
            try {
                cmd = (Map<String, Object>) JSON.std.anyFrom(json);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            String execute = (String) cmd.get("execute");
            Map<String, Object> args = (Map<String, Object>) cmd.get("arguments");
            commands.add(execute + (args == null ? "" : " " + args));
            if (frozen && !execute.equals("guest-fsfreeze-status")) {
                // qemu-ga 7.2 while frozen: only a few commands stay enabled
                return error("Command " + execute + " has been disabled: the agent is in frozen state");
            }
            return switch (execute) {
                case "guest-get-fsinfo" -> reply(fsinfo);
                case "guest-exec" -> exec(args);
                case "guest-exec-status" -> status(((Number) args.get("pid")).longValue());
                default -> error("The command " + execute + " has not been found");
            };
        }

        @SuppressWarnings("unchecked")
        private String exec(Map<String, Object> args) {
            if (execDisabled) {
                return error("Command guest-exec has been disabled");
            }
            List<String> argv = (List<String>) args.get("arg");
            long pid = nextPid++;
            processes.put(pid, args.get("path") + " " + String.join(" ", argv));
            return reply(Map.of("pid", pid));
        }

        private String status(long pid) {
            int n = polls.merge(pid, 1, Integer::sum);
            if (runningPolls < 0 || n <= runningPolls) {
                return reply(Map.of("exited", false));
            }
            String cmdline = processes.get(pid);
            String device = cmdline.substring(cmdline.lastIndexOf(' ') + 1);
            String state = dumpe2fsState.get(device);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("exited", true);
            if (state == null) {
                r.put("exitcode", 1);
                r.put(
                        "err-data",
                        b64("dumpe2fs 1.47.0 (5-Feb-2023)\ndumpe2fs: No such file or directory while trying to open "
                                + device + "\nCouldn't find valid filesystem superblock.\n"));
            } else {
                r.put("exitcode", 0);
                r.put(
                        "out-data",
                        b64("Filesystem volume name:   <none>\nLast mounted on:          /\n"
                                + "Filesystem magic number:  0xEF53\nFilesystem state:         " + state
                                + "\nErrors behavior:          Continue\n"));
                r.put("err-data", b64("dumpe2fs 1.47.0 (5-Feb-2023)\n"));
            }
            return reply(r);
        }

        private static String b64(String s) {
            return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
        }

        private static String reply(Object value) {
            try {
                return JSON.std.asString(Map.of("return", value));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        private static String error(String desc) {
            try {
                return JSON.std.asString(Map.of("error", Map.of("class", "GenericError", "desc", desc)));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
