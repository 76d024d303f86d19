package dev.stillpoint.engine.audit;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.catalog.Catalog;
import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Lists libvirt snapshots, external overlays and checkpoints per domain with age and size, and
 * flags what Stillpoint's catalog does not know (seed 003: forgotten snapshots grow and slow
 * the VM; seed 001: internal snapshots carry the VM's memory).
 */
public final class SnapshotAudit {

    private final VmConnector connector;
    private final Catalog catalog;
    private final Clock clock;

    /** @param catalog may be null (no repository given): every checkpoint is then unknown */
    public SnapshotAudit(VmConnector connector, Catalog catalog, Clock clock) {
        this.connector = connector;
        this.catalog = catalog;
        this.clock = clock;
    }

    /** Audits one domain, or all defined domains when {@code domainName} is null. */
    public List<AuditEntry> run(String domainName) throws VmException, EngineException {
        List<String> names = domainName != null ? List.of(domainName) : connector.domainNames();
        List<AuditEntry> out = new ArrayList<>();
        for (String name : names) {
            VmDomain d = connector.find(name).orElseThrow(() -> new VmException(VmException.Code.NOT_FOUND,
                    "no domain named '" + name + "' on this connection"));
            for (VmDomain.Leftover l : d.leftovers()) out.add(entry(d.name(), l));
        }
        return out;
    }

    private AuditEntry entry(String domain, VmDomain.Leftover l) throws EngineException {
        Duration age = l.created() == null ? null : Duration.between(l.created(), clock.instant());
        if ("checkpoint".equals(l.kind())) {
            boolean known = catalog != null && catalog.knowsCheckpoint(l.name());
            if (known) return new AuditEntry(domain, l.kind(), l.name(), l.path(), l.sizeBytes(), age, "stillpoint", false,
                    "base of the next incremental");
            if (l.name().startsWith("stillpoint-")) {
                return new AuditEntry(domain, l.kind(), l.name(), l.path(), l.sizeBytes(), age, "stillpoint-unrecorded",
                        true, "named like Stillpoint's but not in this catalog (other repository, or interrupted run)");
            }
            return new AuditEntry(domain, l.kind(), l.name(), l.path(), l.sizeBytes(), age, "other", true,
                    "not Stillpoint's; left alone (another backup tool?)");
        }
        String note = switch (l.kind()) {
            case "snapshot" -> "snapshots grow and slow the VM; internal ones also hold the VM's memory";
            case "overlay" -> "external overlay: every write lands here until it is committed";
            default -> "";
        };
        return new AuditEntry(domain, l.kind(), l.name(), l.path(), l.sizeBytes(), age, "other", true, note);
    }
}
