package dev.stillpoint.cli.backup;

import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmConnectorProvider;
import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Test connector: one running domain whose guest agent fails guest-fsfreeze-freeze (its hook failed) and then
 * serves {@link #reportAfterFreeze} as stillpoint-guest's report. The backup must stop before it begins.
 */
public final class GuestPolicyConnector implements VmConnectorProvider {
    public static final String DOMAIN = "sp-azure-policy";
    /** The report the guest wrote during the failed freeze (null: none). */
    public static volatile String reportAfterFreeze;

    static volatile boolean freezeTried;

    @Override
    public VmConnector open(String uri) {
        return new VmConnector() {
            @Override
            public Optional<VmDomain> find(String name) {
                return name.equals(DOMAIN) ? Optional.of(new Domain()) : Optional.empty();
            }

            @Override
            public VmDomain define(String xml) {
                throw new UnsupportedOperationException("define");
            }

            @Override
            public List<String> domainNames() {
                return List.of(DOMAIN);
            }

            @Override
            public void close() {}
        };
    }

    static final class Domain implements VmDomain {
        @Override
        public String name() {
            return DOMAIN;
        }

        @Override
        public String uuid() {
            return "00000000-0000-4000-8000-00000000a2a2";
        }

        @Override
        public State state() {
            return State.RUNNING;
        }

        @Override
        public String xml(boolean inactive) {
            return "<domain type='qemu'><name>" + DOMAIN + "</name><uuid>" + uuid() + "</uuid><devices>"
                    + "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/nonexistent/"
                    + DOMAIN + ".qcow2'/><target dev='vda' bus='virtio'/></disk></devices></domain>";
        }

        @Override
        public List<VmDisk> disks() {
            return List.of(new VmDisk("vda", "/nonexistent/" + DOMAIN + ".qcow2", "qcow2", null));
        }

        @Override
        public GuestAgent agent() {
            return new GuestAgent() {
                @Override
                public boolean ping(Duration timeout) {
                    return true;
                }

                @Override
                public int freeze(Duration timeout) throws VmException {
                    freezeTried = true;
                    throw new VmException(
                            VmException.Code.FREEZE_FAILED,
                            "child process has failed to execute fsfreeze hook: exit status 64");
                }

                @Override
                public int thaw(Duration timeout) {
                    return 0;
                }

                @Override
                public String freezeStatus(Duration timeout) {
                    return "thawed";
                }

                @Override
                public String command(String json, Duration timeout) throws VmException {
                    String report = freezeTried ? reportAfterFreeze : null;
                    if (json.contains("guest-file-open") && json.contains("\"mode\":\"w\"")) return "{\"return\":2000}";
                    if (json.contains("guest-file-write")) return "{\"return\":{\"count\":1,\"eof\":false}}";
                    if (json.contains("guest-file-close")) return "{\"return\":{}}";
                    if (json.contains("guest-file-open")) {
                        if (report == null) throw new VmException(VmException.Code.OPERATION_FAILED, "No such file");
                        return "{\"return\":1000}";
                    }
                    if (json.contains("guest-file-read")) {
                        byte[] b = report.getBytes(StandardCharsets.UTF_8);
                        return "{\"return\":{\"count\":" + b.length + ",\"buf-b64\":\""
                                + Base64.getEncoder().encodeToString(b) + "\",\"eof\":true}}";
                    }
                    throw new VmException(VmException.Code.OPERATION_FAILED, "unexpected " + json);
                }
            };
        }

        @Override
        public List<String> checkpoints() {
            return List.of();
        }

        @Override
        public void deleteCheckpoint(String n) throws VmException {
            throw new VmException(VmException.Code.NOT_FOUND, n);
        }

        @Override
        public BackupSession beginBackup(List<String> d, Path s, Path sc, String c, String i) throws VmException {
            throw new VmException(
                    VmException.Code.BACKUP_FAILED, "not expected: the backup must stop before it begins");
        }

        @Override
        public Optional<Path> activeBackupSocket() {
            return Optional.empty();
        }

        @Override
        public void abortJob() {}

        @Override
        public void blockPull(String disk) {
            throw new UnsupportedOperationException("no block jobs here");
        }

        @Override
        public Optional<BlockJob> blockJob(String disk) {
            return Optional.empty();
        }

        @Override
        public List<Leftover> leftovers() {
            return List.of();
        }

        @Override
        public void start() {}

        @Override
        public void destroy() {}

        @Override
        public void undefine() {}
    }
}
