package dev.stillpoint.cli.exitcodes;

import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmConnectorProvider;
import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Test connector of the exit-code tests: shut-off domains with one real disk file (read through
 * qemu-nbd) and a running domain whose guest agent never answers. A separate JVM gets its domain
 * from {@code -Dstillpoint.test.disk=NAME=FORMAT:PATH}.
 */
public final class TestDomains implements VmConnectorProvider {
    static final Map<String, VmDomain> DOMAINS = new ConcurrentHashMap<>();

    static void shutOff(String name, String format, String source) {
        DOMAINS.put(name, new TestDomain(name, new VmDisk("vda", source, format, null), false));
    }

    static void silentAgent(String name) {
        DOMAINS.put(
                name, new TestDomain(name, new VmDisk("vda", "/nonexistent/" + name + ".qcow2", "qcow2", null), true));
    }

    @Override
    public VmConnector open(String uri) {
        String spec = System.getProperty("stillpoint.test.disk");
        if (spec != null) {
            String[] nameRest = spec.split("=", 2), formatPath = nameRest[1].split(":", 2);
            DOMAINS.putIfAbsent(
                    nameRest[0],
                    new TestDomain(nameRest[0], new VmDisk("vda", formatPath[1], formatPath[0], null), false));
        }
        return new VmConnector() {
            @Override
            public Optional<VmDomain> find(String name) {
                return Optional.ofNullable(DOMAINS.get(name));
            }

            @Override
            public VmDomain define(String xml) {
                throw new UnsupportedOperationException("define");
            }

            @Override
            public List<String> domainNames() {
                return List.copyOf(DOMAINS.keySet());
            }

            @Override
            public void close() {}
        };
    }

    /**
     * A domain with one disk: shut off (backed up at rest through qemu-nbd), or running with a guest
     * agent that never answers (no freeze is possible; the backup must stop before it begins).
     */
    record TestDomain(String name, VmDisk disk, boolean running) implements VmDomain {
        @Override
        public String uuid() {
            return "00000000-0000-4000-8000-" + String.format("%012x", name.hashCode() & 0xffffffffL);
        }

        @Override
        public State state() {
            return running ? State.RUNNING : State.SHUTOFF;
        }

        @Override
        public String xml(boolean inactive) {
            return "<domain type='qemu'><name>" + name + "</name><uuid>" + uuid() + "</uuid><devices>"
                    + "<disk type='file' device='disk'><driver name='qemu' type='" + disk.format() + "'/><source file='"
                    + disk.source() + "'/><target dev='vda' bus='virtio'/></disk></devices></domain>";
        }

        @Override
        public List<VmDisk> disks() {
            return List.of(disk);
        }

        @Override
        public GuestAgent agent() {
            if (!running) throw new UnsupportedOperationException("shut off");
            return new GuestAgent() {
                @Override
                public boolean ping(Duration timeout) {
                    return false;
                }

                @Override
                public int freeze(Duration timeout) throws VmException {
                    throw silent();
                }

                @Override
                public int thaw(Duration timeout) throws VmException {
                    throw silent();
                }

                @Override
                public String freezeStatus(Duration timeout) throws VmException {
                    throw silent();
                }

                @Override
                public String command(String json, Duration timeout) throws VmException {
                    throw silent();
                }
            };
        }

        private static VmException silent() {
            return new VmException(VmException.Code.AGENT_UNAVAILABLE, "guest agent is not connected");
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
                    VmException.Code.BACKUP_FAILED,
                    running
                            ? "not expected: the backup must stop before it begins"
                            : "cannot perform disk backup for inactive domain");
        }

        @Override
        public Optional<Path> activeBackupSocket() {
            return Optional.empty();
        }

        @Override
        public void abortJob() {}

        @Override
        public void blockPull(String d) {
            throw new UnsupportedOperationException("no block jobs here");
        }

        @Override
        public Optional<BlockJob> blockJob(String d) {
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
