package dev.stillpoint.libvirt.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/** A {@code virDomainPtr}; {@link #close()} frees the handle (not the domain). */
@SuppressWarnings("restricted")
public final class VirDomain implements AutoCloseable {
    // virDomainState
    public static final int STATE_NOSTATE = 0,
            STATE_RUNNING = 1,
            STATE_BLOCKED = 2,
            STATE_PAUSED = 3,
            STATE_SHUTDOWN = 4,
            STATE_SHUTOFF = 5,
            STATE_CRASHED = 6,
            STATE_PMSUSPENDED = 7;
    // virDomainXMLFlags
    public static final int XML_SECURE = 1, XML_INACTIVE = 1 << 1;
    // virDomainUndefineFlagsValues
    public static final int UNDEFINE_MANAGED_SAVE = 1,
            UNDEFINE_SNAPSHOTS_METADATA = 1 << 1,
            UNDEFINE_NVRAM = 1 << 2,
            UNDEFINE_CHECKPOINTS_METADATA = 1 << 4;
    // virDomainJobType
    public static final int JOB_NONE = 0,
            JOB_BOUNDED = 1,
            JOB_UNBOUNDED = 2,
            JOB_COMPLETED = 3,
            JOB_FAILED = 4,
            JOB_CANCELLED = 5;
    // checkpoint flags
    public static final int CHECKPOINT_XML_NO_DOMAIN = 1 << 1, CHECKPOINT_XML_SIZE = 1 << 2;
    public static final int CHECKPOINT_LIST_TOPOLOGICAL = 1 << 1;
    /** virDomainSnapshotListFlags TOPOLOGICAL. */
    public static final int SNAPSHOT_LIST_TOPOLOGICAL = 1 << 10;

    // virDomainSnapshotCreateFlags
    public static final int SNAPSHOT_CREATE_REDEFINE = 1,
            SNAPSHOT_CREATE_CURRENT = 1 << 1,
            SNAPSHOT_CREATE_DISK_ONLY = 1 << 4,
            SNAPSHOT_CREATE_ATOMIC = 1 << 7;
    // virDomainSnapshotRevertFlags
    public static final int SNAPSHOT_REVERT_RUNNING = 1, SNAPSHOT_REVERT_PAUSED = 1 << 1;

    /** A named child object (checkpoint, snapshot) with its XML description. */
    public record Described(String name, String xml) {}

    private final Libvirt lv;
    private final String name;
    private MemorySegment dom;

    VirDomain(Libvirt lv, MemorySegment dom) {
        this.lv = lv;
        this.dom = dom;
        try {
            this.name = Libvirt.string((MemorySegment) lv.domainGetName.invokeExact(dom));
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** The domain's name (read once; libvirt calls reset the thread's last error, so none happen in error paths). */
    public String name() {
        return name;
    }

    public String uuid() throws LibvirtException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(64); // VIR_UUID_STRING_BUFLEN = 37
            int rc = (int) lv.domainGetUUIDString.invokeExact(handle(), buf);
            if (rc < 0) throw lv.lastError("virDomainGetUUIDString", subject());
            return buf.getString(0);
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** {@code virDomainGetState}: one of the STATE_* constants. */
    public int state() throws LibvirtException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(JAVA_INT);
            MemorySegment reason = arena.allocate(JAVA_INT);
            int rc = (int) lv.domainGetState.invokeExact(handle(), state, reason, 0);
            if (rc < 0) throw lv.lastError("virDomainGetState", subject());
            return state.get(JAVA_INT, 0);
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** {@code virDomainGetXMLDesc(flags)}. */
    public String xmlDesc(int flags) throws LibvirtException {
        try {
            MemorySegment s = (MemorySegment) lv.domainGetXMLDesc.invokeExact(handle(), flags);
            if (s.equals(MemorySegment.NULL)) throw lv.lastError("virDomainGetXMLDesc", subject());
            return lv.takeString(s);
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** {@code virDomainCreate}: starts a defined domain. */
    public void create() throws LibvirtException {
        check(call(lv.domainCreate), "virDomainCreate");
    }

    /** {@code virDomainDestroy}: forced stop. */
    public void destroy() throws LibvirtException {
        check(call(lv.domainDestroy), "virDomainDestroy");
    }

    /** {@code virDomainUndefineFlags}. */
    public void undefine(int flags) throws LibvirtException {
        try {
            check((int) lv.domainUndefineFlags.invokeExact(handle(), flags), "virDomainUndefineFlags");
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** {@code virDomainBackupBegin(backupXml, checkpointXml or NULL, 0)}. */
    public void backupBegin(String backupXml, String checkpointXml) throws LibvirtException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cp = checkpointXml == null ? MemorySegment.NULL : arena.allocateFrom(checkpointXml);
            int rc = (int) lv.domainBackupBegin.invokeExact(handle(), arena.allocateFrom(backupXml), cp, 0);
            check(rc, "virDomainBackupBegin");
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** {@code virDomainBackupGetXMLDesc(0)}: the active backup job's XML (fails when no backup job runs). */
    public String backupXmlDesc() throws LibvirtException {
        try {
            MemorySegment s = (MemorySegment) lv.domainBackupGetXMLDesc.invokeExact(handle(), 0);
            if (s.equals(MemorySegment.NULL)) throw lv.lastError("virDomainBackupGetXMLDesc", subject());
            return lv.takeString(s);
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** A block job's progress: {@code cur} of {@code end} units done (virDomainBlockJobInfo). */
    public record BlockJobInfo(int type, long cur, long end) {}

    /** {@code virDomainBlockPull(disk, 0, 0)}: copies the backing chain's data into the top image, in the background. */
    public void blockPull(String disk) throws LibvirtException {
        try (Arena arena = Arena.ofConfined()) {
            check(
                    (int) lv.domainBlockPull.invokeExact(handle(), arena.allocateFrom(disk), 0L, 0),
                    "virDomainBlockPull");
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** {@code virDomainGetBlockJobInfo(disk)}: the disk's block job, or null when none runs. */
    public BlockJobInfo blockJobInfo(String disk) throws LibvirtException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(32); // int type; unsigned long bandwidth; ull cur; ull end
            int rc = (int) lv.domainGetBlockJobInfo.invokeExact(handle(), arena.allocateFrom(disk), info, 0);
            if (rc < 0) throw lv.lastError("virDomainGetBlockJobInfo", subject() + "('" + disk + "')");
            if (rc == 0) return null;
            return new BlockJobInfo(info.get(JAVA_INT, 0), info.get(JAVA_LONG, 16), info.get(JAVA_LONG, 24));
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** {@code virDomainBlockJobAbort(disk, 0)}. */
    public void blockJobAbort(String disk) throws LibvirtException {
        try (Arena arena = Arena.ofConfined()) {
            check(
                    (int) lv.domainBlockJobAbort.invokeExact(handle(), arena.allocateFrom(disk), 0),
                    "virDomainBlockJobAbort");
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** A console picture: the MIME type libvirt names and the bytes it streamed. */
    public record Screenshot(String mimeType, byte[] data) {}

    /**
     * {@code virDomainScreenshot(stream, screen, 0)}: streams a picture of the domain's console
     * through a new {@code virStream} on the domain's connection ({@code virStreamRecv} until end of
     * stream, then {@code virStreamFinish}; {@code virStreamAbort} when anything fails; the stream is
     * always freed). A picture larger than {@code maxBytes} is refused.
     */
    public Screenshot screenshot(int screen, int maxBytes) throws LibvirtException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment conn = (MemorySegment) lv.domainGetConnect.invokeExact(handle());
            if (conn.equals(MemorySegment.NULL)) throw lv.lastError("virDomainGetConnect", subject());
            MemorySegment stream = (MemorySegment) lv.streamNew.invokeExact(conn, 0);
            if (stream.equals(MemorySegment.NULL)) throw lv.lastError("virStreamNew", subject());
            boolean finished = false;
            try {
                MemorySegment mime = (MemorySegment) lv.domainScreenshot.invokeExact(handle(), stream, screen, 0);
                if (mime.equals(MemorySegment.NULL)) throw lv.lastError("virDomainScreenshot", subject());
                String type = lv.takeString(mime);
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                MemorySegment buf = arena.allocate(256 * 1024);
                while (true) {
                    int n = (int) lv.streamRecv.invokeExact(stream, buf, buf.byteSize());
                    if (n < 0) throw lv.lastError("virStreamRecv", subject());
                    if (n == 0) break;
                    if ((long) out.size() + n > maxBytes) {
                        throw new LibvirtException(
                                0,
                                0,
                                "virStreamRecv",
                                "screenshot of domain '" + name + "' is larger than " + maxBytes + " bytes");
                    }
                    out.write(buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                }
                if ((int) lv.streamFinish.invokeExact(stream) < 0) throw lv.lastError("virStreamFinish", subject());
                finished = true;
                return new Screenshot(type, out.toByteArray());
            } finally {
                if (!finished) {
                    int ignored = (int) lv.streamAbort.invokeExact(stream);
                }
                int ignored = (int) lv.streamFree.invokeExact(stream);
            }
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** {@code virDomainAbortJob}. */
    public void abortJob() throws LibvirtException {
        check(call(lv.domainAbortJob), "virDomainAbortJob");
    }

    /** {@code virDomainGetJobInfo}: the active job's type (JOB_NONE when none). */
    public int jobType() throws LibvirtException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(256); // virDomainJobInfo: int + 11 unsigned long long
            check((int) lv.domainGetJobInfo.invokeExact(handle(), info), "virDomainGetJobInfo");
            return info.get(JAVA_INT, 0);
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** {@code virDomainListAllCheckpoints(listFlags)} with each checkpoint's XML ({@code xmlFlags}). */
    public List<Described> checkpoints(int listFlags, int xmlFlags) throws LibvirtException {
        return listAll(
                "virDomainListAllCheckpoints",
                lv.domainListAllCheckpoints,
                listFlags,
                lv.checkpointGetName,
                lv.checkpointGetXMLDesc,
                "virDomainCheckpointGetXMLDesc",
                xmlFlags,
                lv.checkpointFree);
    }

    /** {@code virDomainListAllSnapshots(listFlags)} with each snapshot's XML. */
    public List<Described> snapshots(int listFlags, int xmlFlags) throws LibvirtException {
        return listAll(
                "virDomainListAllSnapshots",
                lv.domainListAllSnapshots,
                listFlags,
                lv.snapshotGetName,
                lv.snapshotGetXMLDesc,
                "virDomainSnapshotGetXMLDesc",
                xmlFlags,
                lv.snapshotFree);
    }

    /** {@code virDomainSnapshotCreateXML(xml, flags)}; frees the returned handle. */
    public void createSnapshot(String xml, int flags) throws LibvirtException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment snap =
                    (MemorySegment) lv.snapshotCreateXML.invokeExact(handle(), arena.allocateFrom(xml), flags);
            if (snap.equals(MemorySegment.NULL)) throw lv.lastError("virDomainSnapshotCreateXML", subject());
            int ignored = (int) lv.snapshotFree.invokeExact(snap);
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** {@code virDomainSnapshotCurrent}: the current snapshot's name, or null when there is none. */
    public String currentSnapshot() throws LibvirtException {
        try {
            MemorySegment snap = (MemorySegment) lv.snapshotCurrent.invokeExact(handle(), 0);
            if (snap.equals(MemorySegment.NULL)) {
                LibvirtException e = lv.lastError("virDomainSnapshotCurrent", subject());
                if (e.code() == LibvirtException.VIR_ERR_NO_DOMAIN_SNAPSHOT) return null;
                throw e;
            }
            try {
                return Libvirt.string((MemorySegment) lv.snapshotGetName.invokeExact(snap));
            } finally {
                int ignored = (int) lv.snapshotFree.invokeExact(snap);
            }
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** {@code virDomainSnapshotLookupByName} + {@code virDomainSnapshotGetXMLDesc(flags)}. */
    public String snapshotXml(String name, int flags) throws LibvirtException {
        return onSnapshot(name, snap -> {
            MemorySegment xml = (MemorySegment) lv.snapshotGetXMLDesc.invokeExact(snap, flags);
            if (xml.equals(MemorySegment.NULL))
                throw lv.lastError("virDomainSnapshotGetXMLDesc", subject() + "('" + name + "')");
            return lv.takeString(xml);
        });
    }

    /** {@code virDomainSnapshotLookupByName} + {@code virDomainRevertToSnapshot(flags)}. */
    public void revertToSnapshot(String name, int flags) throws LibvirtException {
        onSnapshot(
                name,
                snap -> check((int) lv.revertToSnapshot.invokeExact(snap, flags), "virDomainRevertToSnapshot", name));
    }

    /** {@code virDomainSnapshotLookupByName} + {@code virDomainSnapshotDelete(flags)}. */
    public void deleteSnapshot(String name, int flags) throws LibvirtException {
        onSnapshot(
                name, snap -> check((int) lv.snapshotDelete.invokeExact(snap, flags), "virDomainSnapshotDelete", name));
    }

    private interface SnapshotCall<T> {
        T apply(MemorySegment snapshot) throws Throwable;
    }

    /** Looks snapshot {@code name} up, runs {@code call} on its handle, frees the handle. */
    private <T> T onSnapshot(String name, SnapshotCall<T> call) throws LibvirtException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment snap =
                    (MemorySegment) lv.snapshotLookupByName.invokeExact(handle(), arena.allocateFrom(name), 0);
            if (snap.equals(MemorySegment.NULL))
                throw lv.lastError("virDomainSnapshotLookupByName", subject() + "('" + name + "')");
            try {
                return call.apply(snap);
            } finally {
                int ignored = (int) lv.snapshotFree.invokeExact(snap);
            }
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    private Void check(int rc, String function, String snapshot) throws LibvirtException {
        if (rc < 0) throw lv.lastError(function, subject() + "('" + snapshot + "')");
        return null;
    }

    /** {@code virDomainCheckpointLookupByName} + {@code virDomainCheckpointDelete(flags)}. */
    public void deleteCheckpoint(String name, int flags) throws LibvirtException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cp =
                    (MemorySegment) lv.checkpointLookupByName.invokeExact(handle(), arena.allocateFrom(name), 0);
            if (cp.equals(MemorySegment.NULL))
                throw lv.lastError("virDomainCheckpointLookupByName", subject() + "('" + name + "')");
            try {
                int rc = (int) lv.checkpointDelete.invokeExact(cp, flags);
                if (rc < 0) throw lv.lastError("virDomainCheckpointDelete", subject() + "('" + name + "')");
            } finally {
                int ignored = (int) lv.checkpointFree.invokeExact(cp);
            }
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** {@code virDomainQemuAgentCommand(json, timeoutSeconds, 0)}: the agent's JSON reply. */
    public String agentCommand(String json, int timeoutSeconds) throws LibvirtException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment r = (MemorySegment)
                    lv.qemuAgentCommand.invokeExact(handle(), arena.allocateFrom(json), timeoutSeconds, 0);
            if (r.equals(MemorySegment.NULL)) throw lv.lastError("virDomainQemuAgentCommand", subject());
            return lv.takeString(r);
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    /** {@code virDomainFree}; idempotent. */
    @Override
    public void close() {
        MemorySegment d = dom;
        if (d == null) return;
        dom = null;
        try {
            int ignored = (int) lv.domainFree.invokeExact(d);
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    private List<Described> listAll(
            String function,
            MethodHandle list,
            int listFlags,
            MethodHandle getName,
            MethodHandle getXml,
            String xmlFunction,
            int xmlFlags,
            MethodHandle freeOne)
            throws LibvirtException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int n = (int) list.invokeExact(handle(), out, listFlags);
            if (n < 0) throw lv.lastError(function, subject());
            MemorySegment array = out.get(ADDRESS, 0).reinterpret(n * ADDRESS.byteSize());
            List<Described> result = new ArrayList<>(n);
            try {
                for (int i = 0; i < n; i++) {
                    MemorySegment obj = array.getAtIndex(ADDRESS, i);
                    String name = Libvirt.string((MemorySegment) getName.invokeExact(obj));
                    MemorySegment xml = (MemorySegment) getXml.invokeExact(obj, xmlFlags);
                    if (xml.equals(MemorySegment.NULL)) throw lv.lastError(xmlFunction, subject() + "('" + name + "')");
                    result.add(new Described(name, lv.takeString(xml)));
                }
            } finally {
                for (int i = 0; i < n; i++) {
                    int ignored = (int) freeOne.invokeExact(array.getAtIndex(ADDRESS, i));
                }
                lv.freeMemory(out.get(ADDRESS, 0));
            }
            return result;
        } catch (LibvirtException e) {
            throw e;
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    private int call(MethodHandle h) {
        try {
            return (int) h.invokeExact(handle());
        } catch (Throwable t) {
            throw Libvirt.rethrow(t);
        }
    }

    private void check(int rc, String function) throws LibvirtException {
        if (rc < 0) throw lv.lastError(function, subject());
    }

    private String subject() {
        return "(domain '" + name + "')";
    }

    private MemorySegment handle() {
        MemorySegment d = dom;
        if (d == null) throw new IllegalStateException("libvirt domain handle already freed");
        return d;
    }
}
