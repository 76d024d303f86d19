package dev.stillpoint.cli.vm;

import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmConnectorProvider;
import dev.stillpoint.engine.vm.VmException;

import java.util.ServiceLoader;

/**
 * Opens the VM connector through {@link ServiceLoader}: the provider whose class name is in
 * system property {@code stillpoint.connector}, else the first one found.
 */
final class Connectors {
    static final String DEFAULT_URI = "qemu:///system";

    private Connectors() {}

    static VmConnector open(String uri) throws VmException {
        String wanted = System.getProperty("stillpoint.connector");
        VmConnectorProvider chosen = null;
        for (VmConnectorProvider p : ServiceLoader.load(VmConnectorProvider.class)) {
            if (wanted == null || p.getClass().getName().equals(wanted)) {
                chosen = p;
                break;
            }
        }
        if (chosen == null) {
            throw new VmException(VmException.Code.CONNECTION_FAILED, "no VM connector "
                    + (wanted == null ? "installed" : "named " + wanted) + " (META-INF/services/"
                    + VmConnectorProvider.class.getName() + "); cannot connect to " + uri);
        }
        return chosen.open(uri == null ? DEFAULT_URI : uri);
    }
}
