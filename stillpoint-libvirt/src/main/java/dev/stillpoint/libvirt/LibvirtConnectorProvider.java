package dev.stillpoint.libvirt;

import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmConnectorProvider;
import dev.stillpoint.engine.vm.VmException;

/** Registers {@link LibvirtConnector} with {@link java.util.ServiceLoader} for the front ends. */
public final class LibvirtConnectorProvider implements VmConnectorProvider {
    @Override
    public VmConnector open(String uri) throws VmException {
        return LibvirtConnector.open(uri);
    }
}
