package dev.stillpoint.engine.files;

import java.util.ArrayDeque;
import java.util.Deque;

/** Guest paths as strings: absolute, {@code /}-separated, normalized lexically (no {@code .}, {@code ..} or empty parts). */
final class GuestPath {
    private GuestPath() {}

    /** {@code a//b/./c/../d} → {@code /a/b/d}; {@code ..} never climbs above {@code /}. */
    static String normalize(String path) {
        Deque<String> parts = new ArrayDeque<>();
        for (String p : path.split("/")) {
            if (p.isEmpty() || p.equals(".")) continue;
            if (p.equals("..")) {
                if (!parts.isEmpty()) parts.removeLast();
            } else {
                parts.addLast(p);
            }
        }
        return parts.isEmpty() ? "/" : "/" + String.join("/", parts);
    }

    static String join(String dir, String name) {
        return dir.equals("/") ? "/" + name : dir + "/" + name;
    }

    static String parent(String path) {
        int i = path.lastIndexOf('/');
        return i <= 0 ? "/" : path.substring(0, i);
    }

    static String name(String path) {
        return path.equals("/") ? "/" : path.substring(path.lastIndexOf('/') + 1);
    }

    /** Depth of a normalized path: {@code /} 0, {@code /var} 1, {@code /var/lib} 2. */
    static int depth(String path) {
        return path.equals("/") ? 0 : (int) path.chars().filter(c -> c == '/').count();
    }

    /** True when {@code path} is {@code dir} or lies under it. */
    static boolean within(String path, String dir) {
        return dir.equals("/") || path.equals(dir) || path.startsWith(dir + "/");
    }
}
