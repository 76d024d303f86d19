package dev.stillpoint.libvirt.ffi;

/**
 * A failed libvirt call: {@link #code()} is libvirt's {@code virErrorNumber} (constants below for
 * the ones callers branch on), {@link #function()} the C function that failed.
 */
public final class LibvirtException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Not a libvirt code: the library or a symbol could not be loaded. */
    public static final int LIBRARY_MISSING = -1;

    public static final int VIR_ERR_INTERNAL_ERROR = 1;
    public static final int VIR_ERR_NO_SUPPORT = 3;
    public static final int VIR_ERR_NO_CONNECT = 5;
    public static final int VIR_ERR_INVALID_ARG = 8;
    public static final int VIR_ERR_OPERATION_FAILED = 9;
    public static final int VIR_ERR_XML_ERROR = 27;
    public static final int VIR_ERR_DOM_EXIST = 28;
    public static final int VIR_ERR_SYSTEM_ERROR = 38;
    public static final int VIR_ERR_RPC = 39;
    public static final int VIR_ERR_NO_DOMAIN = 42;
    public static final int VIR_ERR_OPERATION_INVALID = 55;
    public static final int VIR_ERR_OPERATION_TIMEOUT = 68;
    public static final int VIR_ERR_NO_DOMAIN_SNAPSHOT = 72;
    public static final int VIR_ERR_ARGUMENT_UNSUPPORTED = 74;
    public static final int VIR_ERR_OPERATION_ABORTED = 78;
    public static final int VIR_ERR_OPERATION_UNSUPPORTED = 84;
    public static final int VIR_ERR_AGENT_UNRESPONSIVE = 86;
    public static final int VIR_ERR_ACCESS_DENIED = 88;
    public static final int VIR_ERR_AGENT_UNSYNCED = 97;
    public static final int VIR_ERR_INVALID_DOMAIN_CHECKPOINT = 102;
    public static final int VIR_ERR_NO_DOMAIN_CHECKPOINT = 103;
    public static final int VIR_ERR_NO_DOMAIN_BACKUP = 104;
    public static final int VIR_ERR_CHECKPOINT_INCONSISTENT = 109;

    private final int code;
    private final int domain;
    private final String function;

    LibvirtException(int code, int domain, String function, String message) {
        super(message);
        this.code = code;
        this.domain = domain;
        this.function = function;
    }

    /** libvirt's virErrorNumber (or {@link #LIBRARY_MISSING}). */
    public int code() {
        return code;
    }

    /** libvirt's virErrorDomain (which part of libvirt raised it). */
    public int errorDomain() {
        return domain;
    }

    /** The C function that failed, e.g. {@code virDomainBackupBegin}. */
    public String function() {
        return function;
    }
}
