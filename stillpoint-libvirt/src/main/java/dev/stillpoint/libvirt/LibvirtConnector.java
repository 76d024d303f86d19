package dev.stillpoint.libvirt;

import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import dev.stillpoint.libvirt.ffi.LibvirtException;
import dev.stillpoint.libvirt.ffi.VirConnection;
import dev.stillpoint.libvirt.ffi.VirDomain;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The engine's {@link VmConnector} on libvirt's C library (FFM). Thread-safe; one libvirt
 * connection per connector. Domains returned hold no native handle: each call looks the domain
 * up by UUID and frees the handle afterwards.
 */
public final class LibvirtConnector implements VmConnector {
    public static final String DEFAULT_URI = "qemu:///system";
    private static final Pattern UUID =
            Pattern.compile("[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}");

    private final VirConnection connection;
    private final QemuAccess access;

    private LibvirtConnector(VirConnection connection, QemuAccess access) {
        this.connection = connection;
        this.access = access;
    }

    /** Opens {@link #DEFAULT_URI}. */
    public static LibvirtConnector open() throws VmException {
        return open(DEFAULT_URI);
    }

    /** Opens a libvirt connection ({@code virConnectOpen}); fails with CONNECTION_FAILED. */
    public static LibvirtConnector open(String uri) throws VmException {
        Objects.requireNonNull(uri, "uri");
        try {
            return new LibvirtConnector(VirConnection.open(uri), QemuAccess.systemDefault());
        } catch (LibvirtException e) {
            throw new VmException(
                    VmException.Code.CONNECTION_FAILED,
                    "cannot connect to libvirt at " + uri + " (is libvirtd running? start it with 'libvirtd -d'): "
                            + e.getMessage(),
                    e);
        }
    }

    public String uri() {
        return connection.uri();
    }

    @Override
    public Optional<VmDomain> find(String nameOrUuid) throws VmException {
        Objects.requireNonNull(nameOrUuid, "nameOrUuid");
        try {
            Optional<VirDomain> d =
                    UUID.matcher(nameOrUuid).matches() ? connection.lookupByUuid(nameOrUuid) : Optional.empty();
            if (d.isEmpty()) d = connection.lookupByName(nameOrUuid);
            if (d.isEmpty()) return Optional.empty();
            try (VirDomain dom = d.get()) {
                return Optional.of(new LibvirtDomain(connection, access, dom.name(), dom.uuid()));
            }
        } catch (LibvirtException e) {
            throw VmErrors.map(e);
        }
    }

    /** Like {@link #find} but fails with NOT_FOUND naming the domain and the connection. */
    public VmDomain require(String nameOrUuid) throws VmException {
        return find(nameOrUuid)
                .orElseThrow(() -> new VmException(
                        VmException.Code.NOT_FOUND, "domain '" + nameOrUuid + "' not found on " + connection.uri()));
    }

    @Override
    public VmDomain define(String domainXml) throws VmException {
        Objects.requireNonNull(domainXml, "domainXml");
        try (VirDomain dom = connection.define(domainXml)) {
            return new LibvirtDomain(connection, access, dom.name(), dom.uuid());
        } catch (LibvirtException e) {
            throw VmErrors.map(e);
        }
    }

    @Override
    public List<String> domainNames() throws VmException {
        try {
            return connection.domainNames();
        } catch (LibvirtException e) {
            throw VmErrors.map(e);
        }
    }

    @Override
    public void close() {
        connection.close();
    }
}
