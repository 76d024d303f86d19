package dev.stillpoint.engine.restore;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import dev.stillpoint.engine.catalog.BackupRecord;
import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Registers restored disks as a new domain (restore {@code --define NEWNAME [--start]}). */
public final class RestoredDomain {

    private RestoredDomain() {}

    /**
     * Defines {@code newName} from the backup's saved XML with the restored disks; boot files
     * (kernel/initrd) are copied next to the disks, because libvirt relabels them per domain.
     */
    public static VmDomain define(
            VmConnector connector,
            BackupRecord backup,
            List<RestoredDisk> disks,
            String newName,
            Path dir,
            boolean start)
            throws EngineException, VmException, IOException {
        return define(connector, backup, disks, Map.of(), newName, dir, start);
    }

    /** As {@link #define(VmConnector, BackupRecord, List, String, Path, boolean)}, disks backed by NBD exports. */
    public static VmDomain define(
            VmConnector connector,
            BackupRecord backup,
            List<RestoredDisk> disks,
            Map<String, DomainXmlRewriter.NbdBacking> backings,
            String newName,
            Path dir,
            boolean start)
            throws EngineException, VmException, IOException {
        if (backup.domainXml() == null) {
            throw new EngineException(Code.INVALID_ARGUMENT, "backup " + backup.id() + " has no saved domain XML");
        }
        if (connector.find(newName).isPresent()) {
            throw new EngineException(Code.ALREADY_EXISTS, "a domain named " + newName + " already exists");
        }
        Map<String, Path> boot = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e :
                DomainXmlRewriter.bootFiles(backup.domainXml()).entrySet()) {
            Path copy = dir.resolve(newName + "-" + e.getValue().getFileName());
            if (Files.isRegularFile(e.getValue()) && !Files.exists(copy)) Files.copy(e.getValue(), copy);
            boot.put(e.getKey(), Files.exists(copy) ? copy : e.getValue());
        }
        Map<String, RestoredDisk> byTarget = new LinkedHashMap<>();
        for (RestoredDisk d : disks) byTarget.put(d.target(), d);
        String xml = DomainXmlRewriter.rewrite(backup.domainXml(), newName, byTarget, boot, dir, backings);
        VmDomain domain = connector.define(xml);
        if (start) domain.start();
        return domain;
    }
}
