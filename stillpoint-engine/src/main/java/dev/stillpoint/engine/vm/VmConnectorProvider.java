package dev.stillpoint.engine.vm;

/**
 * Service-provider interface that lets front ends (the CLI, the server) obtain a concrete
 * {@link VmConnector} without compiling against it. The libvirt module registers an
 * implementation in {@code META-INF/services/dev.stillpoint.engine.vm.VmConnectorProvider};
 * callers use {@link java.util.ServiceLoader}.
 */
public interface VmConnectorProvider {

    /** Opens a connection, e.g. {@code qemu:///system}. */
    VmConnector open(String uri) throws VmException;
}
