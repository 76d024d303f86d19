package dev.stillpoint.libvirt.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A {@code virConnectPtr}: thread-safe (libvirt's connection is), closed once. */
@SuppressWarnings("restricted")
public final class VirConnection implements AutoCloseable {
    private final Libvirt lv;
    private final String uri;
    private volatile MemorySegment conn;

    private VirConnection(Libvirt lv, String uri, MemorySegment conn) {
        this.lv = lv;
        this.uri = uri;
        this.conn = conn;
    }

    /** {@code virConnectOpen(uri)}. */
    public static VirConnection open(String uri) throws LibvirtException {
        Libvirt lv = Libvirt.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment c = (MemorySegment) lv.connectOpen.invokeExact(arena.allocateFrom(uri));
            if (c.equals(MemorySegment.NULL)) throw lv.lastError("virConnectOpen", "('" + uri + "')");
            return new VirConnection(lv, uri, c);
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    public String uri() {
        return uri;
    }

    /** {@code virDomainLookupByName}; empty when libvirt says VIR_ERR_NO_DOMAIN. */
    public Optional<VirDomain> lookupByName(String name) throws LibvirtException {
        return lookup("virDomainLookupByName", name);
    }

    /** {@code virDomainLookupByUUIDString}; empty when libvirt says VIR_ERR_NO_DOMAIN. */
    public Optional<VirDomain> lookupByUuid(String uuid) throws LibvirtException {
        return lookup("virDomainLookupByUUIDString", uuid);
    }

    private Optional<VirDomain> lookup(String function, String key) throws LibvirtException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocateFrom(key);
            MemorySegment d = function.equals("virDomainLookupByName")
                    ? (MemorySegment) lv.domainLookupByName.invokeExact(handle(), k)
                    : (MemorySegment) lv.domainLookupByUUIDString.invokeExact(handle(), k);
            if (d.equals(MemorySegment.NULL)) {
                LibvirtException e = lv.lastError(function, "('" + key + "')");
                if (e.code() == LibvirtException.VIR_ERR_NO_DOMAIN) return Optional.empty();
                throw e;
            }
            return Optional.of(new VirDomain(lv, d));
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** {@code virDomainDefineXML}. */
    public VirDomain define(String xml) throws LibvirtException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment d = (MemorySegment) lv.domainDefineXML.invokeExact(handle(), arena.allocateFrom(xml));
            if (d.equals(MemorySegment.NULL)) throw lv.lastError("virDomainDefineXML", "");
            return new VirDomain(lv, d);
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** Names of all domains ({@code virConnectListAllDomains}, flags 0: active and inactive). */
    public List<String> domainNames() throws LibvirtException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int n = (int) lv.connectListAllDomains.invokeExact(handle(), out, 0);
            if (n < 0) throw lv.lastError("virConnectListAllDomains", "");
            MemorySegment array = out.get(ADDRESS, 0).reinterpret(n * ADDRESS.byteSize());
            List<String> names = new ArrayList<>(n);
            try {
                for (int i = 0; i < n; i++) {
                    MemorySegment d = array.getAtIndex(ADDRESS, i);
                    names.add(Libvirt.string((MemorySegment) lv.domainGetName.invokeExact(d)));
                }
            } finally {
                for (int i = 0; i < n; i++) {
                    int ignored = (int) lv.domainFree.invokeExact(array.getAtIndex(ADDRESS, i));
                }
                lv.freeMemory(out.get(ADDRESS, 0));
            }
            return names;
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** {@code virConnectIsAlive}: false when the connection is closed or broke (libvirtd restarted). */
    public boolean isAlive() {
        MemorySegment c = conn;
        if (c == null) return false;
        try {
            return (int) lv.connectIsAlive.invokeExact(c) == 1;
        } catch (Throwable t) {
            return false;
        }
    }

    /**
     * Replaces a broken connection with a new one to the same URI (after libvirtd restarted, every
     * call on the old one fails with "Cannot write data: Broken pipe"). Handles looked up before
     * stay on the old connection; look domains up again.
     */
    public synchronized void reopen() throws LibvirtException {
        MemorySegment fresh;
        try (Arena arena = Arena.ofConfined()) {
            fresh = (MemorySegment) lv.connectOpen.invokeExact(arena.allocateFrom(uri));
            if (fresh.equals(MemorySegment.NULL)) throw lv.lastError("virConnectOpen", "('" + uri + "')");
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
        MemorySegment old = conn;
        conn = fresh;
        if (old != null) {
            try {
                int ignored = (int) lv.connectClose.invokeExact(old);
            } catch (Throwable ignored) {
                // the old connection is broken; closing it only frees memory
            }
        }
    }

    private MemorySegment handle() {
        MemorySegment c = conn;
        if (c == null) throw new IllegalStateException("libvirt connection to " + uri + " is closed");
        return c;
    }

    /** {@code virConnectClose}; idempotent. */
    @Override
    public synchronized void close() {
        MemorySegment c = conn;
        if (c == null) return;
        conn = null;
        try {
            int ignored = (int) lv.connectClose.invokeExact(c);
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }
}
