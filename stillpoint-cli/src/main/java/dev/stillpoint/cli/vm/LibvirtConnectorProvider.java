package dev.stillpoint.cli.vm;

import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmConnectorProvider;
import dev.stillpoint.engine.vm.VmException;
import dev.stillpoint.libvirt.LibvirtConnector;

/** Registers stillpoint-libvirt as the CLI's VM connector (META-INF/services). */
public final class LibvirtConnectorProvider implements VmConnectorProvider {
    @Override
    public VmConnector open(String uri) throws VmException {
        return LibvirtConnector.open(uri);
    }
}
