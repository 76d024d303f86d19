package dev.stillpoint.engine.vm;

import java.util.List;
import java.util.Optional;

/**
 * What the engine needs from a hypervisor. The engine sees only this interface; the libvirt
 * module implements it (through libvirt's C library), tests use fakes.
 */
public interface VmConnector extends AutoCloseable {

    /** Finds a domain by name or UUID. */
    Optional<VmDomain> find(String nameOrUuid) throws VmException;

    /** Defines (registers) a new domain from XML, returns it (not started). */
    VmDomain define(String domainXml) throws VmException;

    /** Names of all defined domains. */
    List<String> domainNames() throws VmException;

    @Override
    void close() throws VmException;
}
