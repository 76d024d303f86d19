package dev.stillpoint.cli.backup;

import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmConnectorProvider;
import dev.stillpoint.engine.vm.VmDisk;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Test connector: shut-off domains whose disks are real image files (read through qemu-nbd). */
public final class StaticConnectorProvider implements VmConnectorProvider {
    public static final Map<String, ShutOffDomain> DOMAINS = new ConcurrentHashMap<>();
    static final List<String> DEFINED = new ArrayList<>();

    @Override
    public VmConnector open(String uri) {
        // for runs in a separate JVM: -Dstillpoint.test.domain=NAME=/path/disk.qcow2
        String spec = System.getProperty("stillpoint.test.domain");
        if (spec != null) {
            String[] kv = spec.split("=", 2);
            DOMAINS.putIfAbsent(kv[0], new ShutOffDomain(kv[0], List.of(new VmDisk("vda", kv[1], "qcow2", null))));
        }
        return new VmConnector() {
            @Override
            public Optional<VmDomain> find(String name) {
                return Optional.ofNullable(DOMAINS.get(name));
            }

            @Override
            public VmDomain define(String xml) {
                DEFINED.add(xml);
                return new ShutOffDomain("defined", List.of());
            }

            @Override
            public List<String> domainNames() {
                return List.copyOf(DOMAINS.keySet());
            }

            @Override
            public void close() {}
        };
    }

    public record ShutOffDomain(String name, List<VmDisk> disks) implements VmDomain {
        @Override
        public String uuid() {
            return "00000000-0000-4000-8000-" + String.format("%012x", name.hashCode() & 0xffffffffL);
        }

        @Override
        public State state() {
            return State.SHUTOFF;
        }

        @Override
        public String xml(boolean inactive) {
            StringBuilder sb = new StringBuilder(
                    "<domain type='qemu'><name>" + name + "</name><uuid>" + uuid() + "</uuid><devices>");
            for (VmDisk d : disks) {
                sb.append("<disk type='file' device='disk'><driver name='qemu' type='")
                        .append(d.format())
                        .append("'/><source file='")
                        .append(d.source())
                        .append("'/><target dev='")
                        .append(d.target())
                        .append("' bus='virtio'/></disk>");
            }
            return sb.append("<interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/>"
                            + "</interface></devices></domain>")
                    .toString();
        }

        @Override
        public GuestAgent agent() {
            throw new UnsupportedOperationException("shut off");
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
            throw new VmException(VmException.Code.BACKUP_FAILED, "cannot perform disk backup for inactive domain");
        }

        @Override
        public java.util.Optional<java.nio.file.Path> activeBackupSocket() {
            return java.util.Optional.empty();
        }

        @Override
        public void abortJob() {}

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
            return List.of(new Leftover("checkpoint", "virtnbdbackup.0", null, 0, null));
        }

        @Override
        public void start() {}

        @Override
        public void destroy() {}

        @Override
        public void undefine() {}
    }

    static Duration unused() {
        return Duration.ZERO;
    }
}
