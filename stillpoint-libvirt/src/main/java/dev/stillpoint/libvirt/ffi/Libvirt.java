package dev.stillpoint.libvirt.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Downcall handles into {@code libvirt.so.0}, {@code libvirt-qemu.so.0} and libc's {@code free}.
 * Loaded once, on first use; a missing library is reported as a {@link LibvirtException} with
 * code {@link LibvirtException#LIBRARY_MISSING}. Signatures follow libvirt 9.0's headers;
 * {@code unsigned int flags} are passed as Java ints.
 */
@SuppressWarnings("restricted") // native access is this package's purpose
final class Libvirt {
    private static final FunctionDescriptor P_P = FunctionDescriptor.of(ADDRESS, ADDRESS);
    private static final FunctionDescriptor I_P = FunctionDescriptor.of(JAVA_INT, ADDRESS);
    private static final FunctionDescriptor P_PP = FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS);
    private static final FunctionDescriptor P_PI = FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT);
    private static final FunctionDescriptor I_PI = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT);
    private static final FunctionDescriptor I_PP = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
    private static final FunctionDescriptor I_PPI = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);

    private static volatile Libvirt instance;
    private static volatile LibvirtException loadFailure;

    final MethodHandle connectOpen, connectClose, connectListAllDomains, connectIsAlive;
    final MethodHandle domainLookupByName, domainLookupByUUIDString, domainDefineXML, domainFree;
    final MethodHandle domainGetName, domainGetUUIDString, domainGetState, domainGetXMLDesc;
    final MethodHandle domainCreate, domainDestroy, domainUndefineFlags;
    final MethodHandle domainBackupBegin, domainBackupGetXMLDesc, domainAbortJob, domainGetJobInfo;
    final MethodHandle domainBlockPull, domainGetBlockJobInfo, domainBlockJobAbort;
    final MethodHandle domainGetConnect, domainScreenshot, streamNew, streamRecv, streamFinish, streamAbort, streamFree;
    final MethodHandle domainListAllCheckpoints,
            checkpointGetName,
            checkpointGetXMLDesc,
            checkpointLookupByName,
            checkpointDelete,
            checkpointFree;
    final MethodHandle domainListAllSnapshots, snapshotGetName, snapshotGetXMLDesc, snapshotFree;
    final MethodHandle snapshotCreateXML, snapshotLookupByName, snapshotCurrent, revertToSnapshot, snapshotDelete;
    final MethodHandle qemuAgentCommand;
    final MethodHandle getLastError, resetLastError, setErrorFunc;
    final MethodHandle free;

    private Libvirt() throws LibvirtException {
        Linker linker = Linker.nativeLinker();
        SymbolLookup virt = load("libvirt.so.0");
        SymbolLookup qemu = load("libvirt-qemu.so.0");
        Binder b = new Binder(linker, virt);
        connectOpen = b.bind("virConnectOpen", P_P);
        connectClose = b.bind("virConnectClose", I_P);
        connectListAllDomains = b.bind("virConnectListAllDomains", I_PPI);
        connectIsAlive = b.bind("virConnectIsAlive", I_P);
        domainLookupByName = b.bind("virDomainLookupByName", P_PP);
        domainLookupByUUIDString = b.bind("virDomainLookupByUUIDString", P_PP);
        domainDefineXML = b.bind("virDomainDefineXML", P_PP);
        domainFree = b.bind("virDomainFree", I_P);
        domainGetName = b.bind("virDomainGetName", P_P);
        domainGetUUIDString = b.bind("virDomainGetUUIDString", I_PP);
        domainGetState =
                b.bind("virDomainGetState", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        domainGetXMLDesc = b.bind("virDomainGetXMLDesc", P_PI);
        domainCreate = b.bind("virDomainCreate", I_P);
        domainDestroy = b.bind("virDomainDestroy", I_P);
        domainUndefineFlags = b.bind("virDomainUndefineFlags", I_PI);
        domainBackupBegin =
                b.bind("virDomainBackupBegin", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        domainBackupGetXMLDesc = b.bind("virDomainBackupGetXMLDesc", P_PI);
        domainAbortJob = b.bind("virDomainAbortJob", I_P);
        domainBlockPull =
                b.bind("virDomainBlockPull", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
        domainGetBlockJobInfo = b.bind(
                "virDomainGetBlockJobInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        domainBlockJobAbort =
                b.bind("virDomainBlockJobAbort", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        domainGetJobInfo = b.bind("virDomainGetJobInfo", I_PP);
        domainGetConnect = b.bind("virDomainGetConnect", P_P);
        domainScreenshot =
                b.bind("virDomainScreenshot", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT));
        streamNew = b.bind("virStreamNew", P_PI);
        streamRecv = b.bind("virStreamRecv", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
        streamFinish = b.bind("virStreamFinish", I_P);
        streamAbort = b.bind("virStreamAbort", I_P);
        streamFree = b.bind("virStreamFree", I_P);
        domainListAllCheckpoints = b.bind("virDomainListAllCheckpoints", I_PPI);
        checkpointGetName = b.bind("virDomainCheckpointGetName", P_P);
        checkpointGetXMLDesc = b.bind("virDomainCheckpointGetXMLDesc", P_PI);
        checkpointLookupByName =
                b.bind("virDomainCheckpointLookupByName", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        checkpointDelete = b.bind("virDomainCheckpointDelete", I_PI);
        checkpointFree = b.bind("virDomainCheckpointFree", I_P);
        domainListAllSnapshots = b.bind("virDomainListAllSnapshots", I_PPI);
        snapshotGetName = b.bind("virDomainSnapshotGetName", P_P);
        snapshotGetXMLDesc = b.bind("virDomainSnapshotGetXMLDesc", P_PI);
        snapshotFree = b.bind("virDomainSnapshotFree", I_P);
        snapshotCreateXML =
                b.bind("virDomainSnapshotCreateXML", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        snapshotLookupByName =
                b.bind("virDomainSnapshotLookupByName", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        snapshotCurrent = b.bind("virDomainSnapshotCurrent", P_PI);
        revertToSnapshot = b.bind("virDomainRevertToSnapshot", I_PI);
        snapshotDelete = b.bind("virDomainSnapshotDelete", I_PI);
        getLastError = b.bind("virGetLastError", FunctionDescriptor.of(ADDRESS));
        resetLastError = b.bind("virResetLastError", FunctionDescriptor.ofVoid());
        setErrorFunc = b.bind("virSetErrorFunc", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        qemuAgentCommand = new Binder(linker, qemu)
                .bind(
                        "virDomainQemuAgentCommand",
                        FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT));
        free = new Binder(linker, linker.defaultLookup()).bind("free", FunctionDescriptor.ofVoid(ADDRESS));
        silenceDefaultErrorPrinter(linker);
    }

    static Libvirt get() throws LibvirtException {
        Libvirt l = instance;
        if (l != null) return l;
        synchronized (Libvirt.class) {
            if (instance == null) {
                if (loadFailure != null) throw loadFailure;
                try {
                    instance = new Libvirt();
                } catch (LibvirtException e) {
                    loadFailure = e;
                    throw e;
                }
            }
            return instance;
        }
    }

    /** libvirt prints every error to stderr unless a handler is set; the core never prints. */
    private void silenceDefaultErrorPrinter(Linker linker) throws LibvirtException {
        try {
            MethodHandle ignore = MethodHandles.lookup()
                    .findStatic(
                            Libvirt.class,
                            "ignoreError",
                            MethodType.methodType(void.class, MemorySegment.class, MemorySegment.class));
            MemorySegment stub = linker.upcallStub(ignore, FunctionDescriptor.ofVoid(ADDRESS, ADDRESS), Arena.global());
            setErrorFunc.invokeExact(MemorySegment.NULL, stub);
        } catch (Throwable t) {
            throw new LibvirtException(
                    LibvirtException.LIBRARY_MISSING,
                    0,
                    "virSetErrorFunc",
                    "cannot install libvirt error handler: " + t);
        }
    }

    @SuppressWarnings("unused") // called from native code
    private static void ignoreError(MemorySegment userData, MemorySegment error) {}

    private static SymbolLookup load(String library) throws LibvirtException {
        try {
            return SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new LibvirtException(
                    LibvirtException.LIBRARY_MISSING,
                    0,
                    library,
                    "cannot load " + library + " (install libvirt0 / the libvirt client library): " + e.getMessage());
        }
    }

    private record Binder(Linker linker, SymbolLookup lookup) {
        MethodHandle bind(String name, FunctionDescriptor descriptor) throws LibvirtException {
            MemorySegment symbol = lookup.find(name)
                    .orElseThrow(() -> new LibvirtException(
                            LibvirtException.LIBRARY_MISSING,
                            0,
                            name,
                            "symbol " + name + " not found in the libvirt library (libvirt 6.0 or newer is needed)"));
            return linker.downcallHandle(symbol, descriptor);
        }
    }

    // ---- helpers used by the typed wrappers ------------------------------------------------

    /** Reads a NUL-terminated string at {@code p} (null for NULL). */
    static String string(MemorySegment p) {
        return p.equals(MemorySegment.NULL)
                ? null
                : p.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** Reads and frees a malloc'd string returned by libvirt. */
    String takeString(MemorySegment p) {
        if (p.equals(MemorySegment.NULL)) return null;
        try {
            return string(p);
        } finally {
            freeMemory(p);
        }
    }

    void freeMemory(MemorySegment p) {
        if (p.equals(MemorySegment.NULL)) return;
        try {
            free.invokeExact(p);
        } catch (Throwable t) {
            throw new IllegalStateException("free() failed", t);
        }
    }

    /**
     * The calling thread's last libvirt error, as an exception for {@code function}. Must be called
     * on the thread that made the failing call, right after it, with no libvirt call in between
     * (public libvirt functions reset the last error on entry).
     */
    LibvirtException lastError(String function, String subject) {
        try {
            MemorySegment err = (MemorySegment) getLastError.invokeExact();
            if (err.equals(MemorySegment.NULL)) {
                return new LibvirtException(0, 0, function, function + subject + " failed (libvirt set no error)");
            }
            err = err.reinterpret(16 + ADDRESS.byteSize());
            int code = err.get(JAVA_INT, 0);
            int domain = err.get(JAVA_INT, 4);
            String message = string(err.get(ADDRESS, 8));
            resetLastError.invokeExact();
            return new LibvirtException(
                    code,
                    domain,
                    function,
                    function + subject + " failed: " + message + " (virErrorNumber " + code + ")");
        } catch (Throwable t) {
            return new LibvirtException(
                    0, 0, function, function + subject + " failed; reading the libvirt error failed too: " + t);
        }
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("native call failed", t);
    }
}
