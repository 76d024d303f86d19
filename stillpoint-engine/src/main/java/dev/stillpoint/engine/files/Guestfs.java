package dev.stillpoint.engine.files;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One libguestfs handle (one appliance: its own kernel parses the guest's filesystems, never the
 * host's), reached through Debian's Java bindings ({@code libguestfs-java}) loaded at run time, so
 * building Stillpoint needs no libguestfs. Only the calls file-level restore uses are exposed; a
 * failing call becomes {@link Code#TOOL_FAILED} naming the call and its argument.
 *
 * <p>The backend is {@code direct} with {@code force_tcg}: the appliance's qemu aborts under KVM
 * on these hosts (../shared/spec/libvirt-notes.md), and TCG needs no /dev/kvm. libguestfs's own
 * {@code LIBGUESTFS_BACKEND} / {@code LIBGUESTFS_BACKEND_SETTINGS}, when set, are left to decide.
 */
final class Guestfs implements AutoCloseable {
    static final Path JAR_DIR = Path.of("/usr/share/java");
    static final Path JNI_DIR = Path.of("/usr/lib/x86_64-linux-gnu/jni");
    private static final String PACKAGES = "libguestfs-tools libguestfs-java";
    static final int MEMSIZE_MIB = 512;

    private static volatile Class<?> guestfsClass;

    private final Object handle;
    private final Map<String, Method> methods = new HashMap<>();

    private Guestfs(Object handle) {
        this.handle = handle;
    }

    /** A new handle (appliance not launched yet) with the direct backend under TCG. */
    static Guestfs create() throws EngineException {
        Class<?> c = load();
        Object h;
        try {
            h = c.getConstructor().newInstance();
        } catch (InvocationTargetException e) {
            throw new EngineException(
                    Code.TOOL_FAILED,
                    "libguestfs: cannot create a handle: " + e.getCause().getMessage(),
                    e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new EngineException(Code.TOOL_FAILED, "libguestfs: " + e, e);
        }
        Guestfs g = new Guestfs(h);
        // libguestfs's own variables win (e.g. LIBGUESTFS_BACKEND_SETTINGS= on a host where KVM works)
        if (System.getenv("LIBGUESTFS_BACKEND") == null) g.call("set_backend", "direct");
        if (System.getenv("LIBGUESTFS_BACKEND_SETTINGS") == null)
            g.call("set_backend_settings", (Object) new String[] {"force_tcg"});
        // 512 MiB instead of libguestfs's 1280: reading files needs little, the host is shared, and
        // under TCG a smaller guest boots a little faster (bench/README.md); LIBGUESTFS_MEMSIZE wins
        if (System.getenv("LIBGUESTFS_MEMSIZE") == null) g.call("set_memsize", MEMSIZE_MIB);
        return g;
    }

    /** True when the bindings and their JNI library are installed. */
    static boolean available() {
        try {
            load();
            return true;
        } catch (EngineException e) {
            return false;
        }
    }

    private static Class<?> load() throws EngineException {
        Class<?> c = guestfsClass;
        if (c != null) return c;
        synchronized (Guestfs.class) {
            if (guestfsClass != null) return guestfsClass;
            Path jar = findJar();
            Path jni = JNI_DIR.resolve("libguestfs_jni.so");
            if (jar == null || !Files.exists(jni)) {
                throw new EngineException(
                        Code.TOOL_FAILED,
                        "libguestfs's Java bindings are not installed (no " + JAR_DIR + "/libguestfs*.jar or " + jni
                                + "); install the Debian packages: apt-get install " + PACKAGES);
            }
            try {
                URLClassLoader loader =
                        new URLClassLoader(
                                "libguestfs", new URL[] {jar.toUri().toURL()}, Guestfs.class.getClassLoader()) {
                            @Override
                            protected String findLibrary(String name) {
                                Path p = JNI_DIR.resolve(System.mapLibraryName(name));
                                return Files.exists(p) ? p.toString() : null;
                            }
                        };
                guestfsClass = Class.forName("com.redhat.et.libguestfs.GuestFS", true, loader);
            } catch (ReflectiveOperationException | IOException | LinkageError e) {
                throw new EngineException(
                        Code.TOOL_FAILED, "cannot load libguestfs's Java bindings from " + jar + ": " + e, e);
            }
            return guestfsClass;
        }
    }

    private static Path findJar() {
        Path plain = JAR_DIR.resolve("libguestfs.jar");
        if (Files.exists(plain)) return plain;
        try (Stream<Path> s = Files.list(JAR_DIR)) {
            return s.filter(p -> p.getFileName().toString().matches("libguestfs-[0-9.]+\\.jar"))
                    .sorted()
                    .reduce((a, b) -> b)
                    .orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    /** Calls the binding's method {@code name} (the C API's name without {@code guestfs_}). */
    Object call(String name, Object... args) throws EngineException {
        Method m = methods.get(name + "/" + args.length);
        try {
            if (m == null) {
                for (Method c : handle.getClass().getMethods()) {
                    if (c.getName().equals(name) && c.getParameterCount() == args.length) {
                        m = c;
                        break;
                    }
                }
                if (m == null)
                    throw new EngineException(Code.TOOL_FAILED, "libguestfs has no call " + name + "/" + args.length);
                methods.put(name + "/" + args.length, m);
            }
            return m.invoke(handle, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            String arg = args.length > 0 && args[0] instanceof String s ? " " + s : "";
            throw new EngineException(Code.TOOL_FAILED, "libguestfs " + name + arg + ": " + cause.getMessage(), cause);
        } catch (IllegalAccessException e) {
            throw new EngineException(Code.TOOL_FAILED, "libguestfs " + name + ": " + e, e);
        }
    }

    String string(String name, Object... args) throws EngineException {
        return (String) call(name, args);
    }

    String[] strings(String name, Object... args) throws EngineException {
        return (String[]) call(name, args);
    }

    boolean bool(String name, Object... args) throws EngineException {
        return (Boolean) call(name, args);
    }

    @SuppressWarnings("unchecked")
    Map<String, String> map(String name, Object... args) throws EngineException {
        return (Map<String, String>) call(name, args);
    }

    /** {@code lstatnslist(dir, names)} as {@link Stat}s, in the order of {@code names}. */
    Stat[] lstatList(String dir, String[] names) throws EngineException {
        Object[] raw = (Object[]) call("lstatnslist", dir, names);
        Stat[] out = new Stat[raw.length];
        for (int i = 0; i < raw.length; i++) out[i] = Stat.of(raw[i]);
        return out;
    }

    Stat lstat(String path) throws EngineException {
        return Stat.of(call("lstatns", path));
    }

    /** The fields of a {@code guestfs_statns} that a listing needs. */
    record Stat(
            long mode,
            long uid,
            long gid,
            long size,
            long blocks,
            long mtimeSec,
            long mtimeNsec,
            long nlink,
            long ino) {
        static Stat of(Object s) throws EngineException {
            try {
                return new Stat(
                        field(s, "st_mode"),
                        field(s, "st_uid"),
                        field(s, "st_gid"),
                        field(s, "st_size"),
                        field(s, "st_blocks"),
                        field(s, "st_mtime_sec"),
                        field(s, "st_mtime_nsec"),
                        field(s, "st_nlink"),
                        field(s, "st_ino"));
            } catch (ReflectiveOperationException e) {
                throw new EngineException(Code.TOOL_FAILED, "libguestfs StatNS: " + e, e);
            }
        }

        private static long field(Object s, String name) throws ReflectiveOperationException {
            Field f = s.getClass().getField(name);
            return f.getLong(s);
        }
    }

    /** Shuts the appliance down (its qemu exits) and frees the handle; idempotent. */
    @Override
    public void close() {
        try {
            call("shutdown");
        } catch (EngineException ignored) {
            // not launched, or already gone: close below still frees the handle
        }
        try {
            call("close");
        } catch (EngineException ignored) {
            // already closed
        }
    }
}
