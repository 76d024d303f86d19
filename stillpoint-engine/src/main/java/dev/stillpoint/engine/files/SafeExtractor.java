package dev.stillpoint.engine.files;

import dev.stillpoint.engine.EngineException;
import dev.stillpoint.engine.EngineException.Code;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Writes untrusted entries (a tar stream from the appliance, or single files) beneath one host
 * directory and nowhere else. Every entry name is checked before anything is created: absolute
 * names and {@code ..} components are refused, no existing symlink is followed (each parent is
 * checked with {@code NOFOLLOW_LINKS}, files are created with {@code CREATE_NEW}), a hard link
 * may only name a regular file already written beneath the directory, symlinks are created as
 * stored and never followed. Device files and FIFOs are skipped (counted and reported). Regular
 * files are written sparse (4 KiB blocks of zeroes become holes). Owner (numeric), mode including
 * setuid/setgid/sticky, and mtime are applied; directories last, deepest first.
 *
 * <p>Tar formats read: ustar/POSIX (prefix field), GNU long names and link names ({@code L},
 * {@code K}), PAX extended headers ({@code x}: path, linkpath, size, mtime, uid, gid), base-256
 * numbers. Header checksums are verified.
 */
final class SafeExtractor {
    private static final int BLOCK = 512;
    private static final int HOLE = 4096;
    private static final int MAX_NAME = 64 * 1024;

    /** Metadata to apply to a written entry. */
    record Meta(int mode, long uid, long gid, Instant mtime) {}

    private record PendingDir(Path path, Meta meta) {}

    private final Path root;
    private final boolean force;
    private final FilesListener listener;
    private final Deque<PendingDir> dirs = new ArrayDeque<>();
    private boolean ownerWarned;
    long files;
    long bytes;
    long skipped;

    SafeExtractor(Path root, boolean force, FilesListener listener) {
        this.root = root;
        this.force = force;
        this.listener = listener;
    }

    // ---- names ------------------------------------------------------------------------------

    /** The components of an untrusted relative name; refuses absolute names and {@code ..}. */
    static List<String> components(String name) throws EngineException {
        if (name.startsWith("/")) throw unsafe(name, "absolute name");
        if (name.indexOf('\0') >= 0) throw unsafe(name, "NUL in name");
        List<String> out = new ArrayList<>();
        for (String c : name.split("/")) {
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.equals("..")) throw unsafe(name, "'..' component");
            out.add(c);
        }
        return out;
    }

    private static EngineException unsafe(String name, String why) {
        return new EngineException(Code.COPY_FAILED, "refusing archive entry '" + printable(name) + "': " + why);
    }

    static String printable(String s) {
        return s.replace("\n", "\\n").replace("\r", "\\r");
    }

    /**
     * The host path of {@code parts} beneath the root, creating missing parent directories; every
     * existing parent must be a real directory (not a symlink).
     */
    Path place(List<String> parts, String name) throws EngineException, IOException {
        Path p = root;
        checkDirectory(p, name);
        for (int i = 0; i < parts.size() - 1; i++) {
            p = p.resolve(parts.get(i));
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                checkDirectory(p, name);
            } else {
                Files.createDirectory(p);
            }
        }
        return parts.isEmpty() ? root : p.resolve(parts.getLast());
    }

    private static void checkDirectory(Path p, String name) throws EngineException, IOException {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isDirectory()) throw unsafe(name, p + " is " + (a.isSymbolicLink() ? "a symlink" : "not a directory"));
    }

    /** Makes room for a new non-directory entry at {@code p}: refuses an existing one unless --force (then removes it). */
    private void clear(Path p, String name) throws EngineException, IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new EngineException(
                    Code.ALREADY_EXISTS, p + " exists and is a directory (archive entry '" + printable(name) + "')");
        }
        if (!force) throw new EngineException(Code.ALREADY_EXISTS, p + " exists; --force overwrites");
        Files.delete(p);
    }

    // ---- entries ----------------------------------------------------------------------------

    void directory(List<String> parts, String name, Meta meta) throws EngineException, IOException {
        Path p = place(parts, name);
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            checkDirectory(p, name);
        } else {
            Files.createDirectory(p);
        }
        dirs.push(new PendingDir(p, meta));
    }

    void file(List<String> parts, String name, Meta meta, InputStream data, long size)
            throws EngineException, IOException {
        if (parts.isEmpty()) throw unsafe(name, "a file cannot replace the target directory");
        Path p = place(parts, name);
        clear(p, name);
        try (FileChannel ch = FileChannel.open(
                p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            writeSparse(ch, data, size);
        }
        apply(p, meta, false);
        files++;
        bytes += size;
    }

    void symlink(List<String> parts, String name, Meta meta, String target) throws EngineException, IOException {
        if (parts.isEmpty()) throw unsafe(name, "a symlink cannot replace the target directory");
        Path p = place(parts, name);
        clear(p, name);
        Files.createSymbolicLink(p, Path.of(target));
        apply(p, meta, true);
        files++;
    }

    void hardLink(List<String> parts, String name, List<String> targetParts, String linkName)
            throws EngineException, IOException {
        if (parts.isEmpty() || targetParts.isEmpty()) throw unsafe(name, "hard link to or at the target directory");
        Path target = place(targetParts, linkName);
        if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            throw unsafe(
                    name, "hard link to '" + printable(linkName) + "', which is not a regular file written before it");
        }
        Path p = place(parts, name);
        clear(p, name);
        Files.createLink(p, target);
        files++;
    }

    /** Applies the directories' modes and times, deepest (last written) first. */
    void finish() throws IOException {
        while (!dirs.isEmpty()) {
            PendingDir d = dirs.pop();
            apply(d.path(), d.meta(), false);
        }
    }

    private void apply(Path p, Meta m, boolean link) throws IOException {
        try {
            Files.setAttribute(p, "unix:gid", (int) m.gid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(p, "unix:uid", (int) m.uid(), LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            if (!ownerWarned)
                listener.warning("cannot set owners (" + e.getMessage() + "); files keep the restoring user's owner");
            ownerWarned = true;
        }
        if (!link) setMode(p, m.mode());
        if (m.mtime() != null) {
            Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(FileTime.from(m.mtime()), null, null);
        }
    }

    private static void setMode(Path p, int mode) throws IOException {
        try {
            Files.setAttribute(p, "unix:mode", mode & 07777, LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            Files.setPosixFilePermissions(p, permissions(mode));
        }
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_EXECUTE,
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_EXECUTE
        };
        for (int i = 0; i < 9; i++) if ((mode & (0400 >> i)) != 0) s.add(order[i]);
        return s;
    }

    /** Copies {@code size} bytes, leaving holes for 4 KiB blocks of zeroes. */
    static void writeSparse(FileChannel ch, InputStream in, long size) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long pos = 0;
        while (pos < size) {
            int want = (int) Math.min(buf.length, size - pos);
            readFully(in, buf, want);
            for (int off = 0; off < want; off += HOLE) {
                int n = Math.min(HOLE, want - off);
                if (!zero(buf, off, n)) {
                    ByteBuffer b = ByteBuffer.wrap(buf, off, n);
                    long at = pos + off;
                    while (b.hasRemaining()) at += ch.write(b, at);
                }
            }
            pos += want;
        }
        if (ch.size() < size) ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
    }

    private static boolean zero(byte[] b, int off, int n) {
        for (int i = off; i < off + n; i++) if (b[i] != 0) return false;
        return true;
    }

    static void readFully(InputStream in, byte[] b, int n) throws IOException {
        int got = 0;
        while (got < n) {
            int r = in.read(b, got, n - got);
            if (r < 0) throw new EOFException("archive ends inside an entry");
            got += r;
        }
    }

    // ---- tar --------------------------------------------------------------------------------

    /**
     * Extracts a tar stream, each entry placed beneath {@code prefix} (components relative to the
     * root). On a refused entry it stops; the caller drains {@code in} so the writer never blocks.
     */
    void extractTar(InputStream in, List<String> prefix) throws EngineException, IOException {
        byte[] h = new byte[BLOCK];
        String longName = null;
        String longLink = null;
        PaxHeader pax = null;
        while (true) {
            if (!readBlock(in, h)) return;
            if (zero(h, 0, BLOCK)) return;
            verifyChecksum(h);
            char type = (char) h[156];
            long size = number(h, 124, 12);
            if (size < 0) throw unsafe(cstr(h, 0, 100), "negative size");
            switch (type) {
                case 'L' -> {
                    longName = text(in, size);
                    continue;
                }
                case 'K' -> {
                    longLink = text(in, size);
                    continue;
                }
                case 'x' -> {
                    pax = PaxHeader.parse(text(in, size));
                    continue;
                }
                case 'g' -> {
                    skip(in, padded(size));
                    continue;
                }
                default -> {}
            }
            String name = longName != null ? longName : fullName(h);
            String link = longLink != null ? longLink : cstr(h, 157, 100);
            long uid = number(h, 108, 8);
            long gid = number(h, 116, 8);
            Instant mtime = Instant.ofEpochSecond(number(h, 136, 12));
            if (pax != null) {
                if (pax.path != null) name = pax.path;
                if (pax.linkpath != null) link = pax.linkpath;
                if (pax.size >= 0) size = pax.size;
                if (pax.uid >= 0) uid = pax.uid;
                if (pax.gid >= 0) gid = pax.gid;
                if (pax.mtime != null) mtime = pax.mtime;
            }
            longName = null;
            longLink = null;
            pax = null;
            Meta meta = new Meta((int) number(h, 100, 8), uid, gid, mtime);
            List<String> parts = new ArrayList<>(prefix);
            parts.addAll(components(name));
            switch (type) {
                case '0', '\0', '7' -> {
                    file(parts, name, meta, new Bounded(in, size), size);
                    skip(in, padded(size) - size);
                }
                case '5' -> {
                    directory(parts, name, meta);
                    skip(in, padded(size));
                }
                case '2' -> {
                    symlink(parts, name, meta, link);
                    skip(in, padded(size));
                }
                case '1' -> {
                    List<String> target = new ArrayList<>(prefix);
                    target.addAll(components(link));
                    hardLink(parts, name, target, link);
                    skip(in, padded(size));
                }
                default -> {
                    skipped++;
                    listener.warning("skipped " + kind(type) + " '" + printable(name) + "' (not restorable as a file)");
                    skip(in, padded(size));
                }
            }
        }
    }

    private static String kind(char type) {
        return switch (type) {
            case '3' -> "character device";
            case '4' -> "block device";
            case '6' -> "FIFO";
            default -> "entry of type '" + type + "'";
        };
    }

    private static boolean readBlock(InputStream in, byte[] h) throws IOException {
        int got = 0;
        while (got < BLOCK) {
            int r = in.read(h, got, BLOCK - got);
            if (r < 0) {
                if (got == 0) return false;
                throw new EOFException("archive ends inside a header");
            }
            got += r;
        }
        return true;
    }

    private static long padded(long size) {
        return (size + BLOCK - 1) / BLOCK * BLOCK;
    }

    private static void skip(InputStream in, long n) throws IOException {
        byte[] b = new byte[8192];
        while (n > 0) {
            int r = in.read(b, 0, (int) Math.min(b.length, n));
            if (r < 0) throw new EOFException("archive ends inside an entry");
            n -= r;
        }
    }

    private static String text(InputStream in, long size) throws IOException, EngineException {
        if (size > MAX_NAME)
            throw new EngineException(
                    Code.COPY_FAILED, "refusing archive header of " + size + " bytes (limit " + MAX_NAME + ")");
        byte[] b = new byte[(int) size];
        readFully(in, b, b.length);
        skip(in, padded(size) - size);
        int end = b.length;
        while (end > 0 && b[end - 1] == 0) end--;
        return new String(b, 0, end, StandardCharsets.UTF_8);
    }

    private static String fullName(byte[] h) {
        String name = cstr(h, 0, 100);
        boolean posix = h[257] == 'u'
                && h[262] == 0; // "ustar\0": POSIX, whose bytes 345.. are a name prefix (GNU uses them for times)
        String prefix = posix ? cstr(h, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    static String cstr(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) end++;
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    /** An octal field (spaces/NULs around it) or a base-256 one (high bit of the first byte set). */
    static long number(byte[] h, int off, int len) throws EngineException {
        if ((h[off] & 0x80) != 0) {
            long v = h[off] & 0x3f;
            if ((h[off] & 0x40) != 0)
                throw new EngineException(Code.COPY_FAILED, "refusing archive header: negative number");
            for (int i = 1; i < len; i++) {
                if ((v >>> 55) != 0)
                    throw new EngineException(Code.COPY_FAILED, "refusing archive header: number too large");
                v = (v << 8) | (h[off + i] & 0xff);
            }
            return v;
        }
        long v = 0;
        int i = off;
        while (i < off + len && (h[i] == ' ' || h[i] == 0)) i++;
        for (; i < off + len && h[i] >= '0' && h[i] <= '7'; i++) {
            if ((v >>> 60) != 0)
                throw new EngineException(Code.COPY_FAILED, "refusing archive header: number too large");
            v = v * 8 + (h[i] - '0');
        }
        return v;
    }

    private static void verifyChecksum(byte[] h) throws EngineException {
        long want = number(h, 148, 8);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
        if (sum != want)
            throw new EngineException(Code.COPY_FAILED, "archive header checksum mismatch (corrupt stream)");
    }

    /** The fields of a PAX extended header that matter here ({@code len key=value\n} records). */
    static final class PaxHeader {
        String path;
        String linkpath;
        long size = -1;
        long uid = -1;
        long gid = -1;
        Instant mtime;

        static PaxHeader parse(String s) throws EngineException {
            PaxHeader p = new PaxHeader();
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            int i = 0;
            while (i < b.length) {
                int sp = i;
                while (sp < b.length && b[sp] != ' ') sp++;
                int len;
                try {
                    len = Integer.parseInt(new String(b, i, sp - i, StandardCharsets.US_ASCII));
                } catch (NumberFormatException e) {
                    throw new EngineException(Code.COPY_FAILED, "refusing archive: malformed PAX record");
                }
                if (len <= sp - i + 2 || i + len > b.length)
                    throw new EngineException(Code.COPY_FAILED, "refusing archive: malformed PAX record");
                String rec = new String(b, sp + 1, i + len - sp - 2, StandardCharsets.UTF_8);
                int eq = rec.indexOf('=');
                if (eq > 0) p.set(rec.substring(0, eq), rec.substring(eq + 1));
                i += len;
            }
            return p;
        }

        private void set(String key, String value) throws EngineException {
            try {
                switch (key) {
                    case "path" -> path = value;
                    case "linkpath" -> linkpath = value;
                    case "size" -> size = Long.parseLong(value);
                    case "uid" -> uid = Long.parseLong(value);
                    case "gid" -> gid = Long.parseLong(value);
                    case "mtime" -> {
                        java.math.BigDecimal d = new java.math.BigDecimal(value);
                        mtime = Instant.ofEpochSecond(
                                d.longValue(),
                                d.remainder(java.math.BigDecimal.ONE)
                                        .movePointRight(9)
                                        .intValue());
                    }
                    default -> {}
                }
            } catch (NumberFormatException | ArithmeticException e) {
                throw new EngineException(Code.COPY_FAILED, "refusing archive: PAX " + key + "='" + value + "'");
            }
        }
    }

    /** At most {@code n} bytes of {@code in}; never closes it. */
    static final class Bounded extends InputStream {
        private final InputStream in;
        private long left;

        Bounded(InputStream in, long n) {
            this.in = in;
            this.left = n;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) return -1;
            int r = in.read(b, off, (int) Math.min(len, left));
            if (r > 0) left -= r;
            return r;
        }
    }
}
