package dev.stillpoint.libvirt;

import static dev.stillpoint.libvirt.ffi.LibvirtException.*;

import dev.stillpoint.engine.vm.VmException;
import dev.stillpoint.libvirt.ffi.LibvirtException;

/** The one place libvirt's error numbers become {@link VmException.Code}s. */
final class VmErrors {
    private VmErrors() {}

    static VmException map(LibvirtException e) {
        return map(e, VmException.Code.OPERATION_FAILED);
    }

    /** Maps the codes that mean the same everywhere; everything else becomes {@code fallback}. */
    static VmException map(LibvirtException e, VmException.Code fallback) {
        return new VmException(code(e, fallback), e.getMessage(), e);
    }

    static VmException.Code code(LibvirtException e, VmException.Code fallback) {
        return switch (e.code()) {
            case VIR_ERR_NO_DOMAIN, VIR_ERR_NO_DOMAIN_CHECKPOINT -> VmException.Code.NOT_FOUND;
            case VIR_ERR_NO_DOMAIN_SNAPSHOT -> VmException.Code.SNAPSHOT_NOT_FOUND;
            case VIR_ERR_NO_CONNECT, LIBRARY_MISSING -> VmException.Code.CONNECTION_FAILED;
            case VIR_ERR_AGENT_UNRESPONSIVE, VIR_ERR_AGENT_UNSYNCED -> VmException.Code.AGENT_UNAVAILABLE;
            case VIR_ERR_INVALID_DOMAIN_CHECKPOINT, VIR_ERR_CHECKPOINT_INCONSISTENT ->
                VmException.Code.CHECKPOINT_INVALID;
            default -> fallback;
        };
    }
}
