package dev.stillpoint.cli;

import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmConnectorProvider;
import dev.stillpoint.engine.vm.VmException;
import java.util.ServiceLoader;

/**
 * Opens the VM connector through {@link ServiceLoader}: the provider whose class name is in
 * system property {@code stillpoint.connector}, else the first one found.
 */
public final class Connectors {
    public static final String DEFAULT_URI = "qemu:///system";

    private Connectors() {}

    /** Opens a connection to {@code uri} (default qemu:///system) through the chosen provider. */
    public static VmConnector open(String uri) throws VmException {
        return provider(uri).open(uri == null ? DEFAULT_URI : uri);
    }

    /** The provider named by system property {@code stillpoint.connector}, else the first one found. */
    public static VmConnectorProvider provider(String uri) throws VmException {
        String wanted = System.getProperty("stillpoint.connector");
        for (VmConnectorProvider p : ServiceLoader.load(VmConnectorProvider.class)) {
            if (wanted == null || p.getClass().getName().equals(wanted)) {
                return p;
            }
        }
        throw new VmException(
                VmException.Code.CONNECTION_FAILED,
                "no VM connector "
                        + (wanted == null ? "installed" : "named " + wanted) + " (META-INF/services/"
                        + VmConnectorProvider.class.getName() + "); cannot connect to " + uri);
    }
}
