package dev.stillpoint.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No package cycles inside stillpoint-guest: the import graph of src/main/java (imports and fully qualified
 * names, {@code dev.stillpoint.guest.x.Y}, outside comments and string literals) has no cycle. The root package ({@code dev.stillpoint.guest}: error
 * codes, exit codes, hook groups) is used by all and uses none.
 */
class PackageCycleTest {
    static final Path SRC = Path.of("src/main/java/dev/stillpoint/guest");
    static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
    static final Pattern REF = Pattern.compile("\\bdev\\.stillpoint\\.guest\\.([a-z][a-z0-9]*)?\\.?([A-Z]\\w*)");

    static Map<String, Set<String>> graph(Path src) throws IOException {
        Map<String, Set<String>> g = new TreeMap<>();
        try (Stream<Path> files = Files.walk(src)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Path rel = src.relativize(f.getParent());
                String pkg = rel.toString().isEmpty() ? "" : rel.toString().replace('/', '.');
                Set<String> deps = g.computeIfAbsent(pkg, k -> new TreeSet<>());
                for (String line : Files.readAllLines(f)) {
                    String code = line.strip();
                    if (code.startsWith("package ")
                            || code.startsWith("*")
                            || code.startsWith("/*")
                            || code.startsWith("//")) continue;
                    // names in string literals (a main class to launch) and comments are not compile-time dependencies
                    Matcher m =
                            REF.matcher(STRING.matcher(code).replaceAll("\"\"").replaceAll("//.*", ""));
                    while (m.find()) {
                        String target = m.group(1) == null ? "" : m.group(1);
                        if (target.equals("contract")) continue; // the separate module stillpoint-guest-contract
                        if (!target.equals(pkg)) deps.add(target);
                    }
                }
            }
        }
        return g;
    }

    /** One cycle as "a -> b -> a", or null. */
    static String cycle(Map<String, Set<String>> g) {
        Map<String, Integer> state = new TreeMap<>();
        for (String start : g.keySet()) {
            Deque<String> path = new ArrayDeque<>();
            String c = visit(start, g, state, path);
            if (c != null) return c;
        }
        return null;
    }

    private static String visit(String n, Map<String, Set<String>> g, Map<String, Integer> state, Deque<String> path) {
        Integer s = state.get(n);
        if (s != null && s == 2) return null;
        path.addLast(n);
        if (s != null && s == 1) {
            List<String> p = new ArrayList<>(path);
            return String.join(" -> ", p.subList(p.indexOf(n), p.size())).replace("->  ", "-> (root) ");
        }
        state.put(n, 1);
        for (String d : g.getOrDefault(n, Set.of())) {
            String c = visit(d, g, state, path);
            if (c != null) return c;
        }
        state.put(n, 2);
        path.removeLast();
        return null;
    }

    @Test
    void thePackagesOfTheGuestFormNoCycle() throws IOException {
        Map<String, Set<String>> g = graph(SRC);
        assertThat(g).containsKeys("run", "fs", "config", "hooks", "state", "cli");
        assertThat(cycle(g)).as("package graph " + g).isNull();
        assertThat(g.get("")).as("the root package uses no other package").isEmpty();
    }

    @Test
    void theCheckFindsACycle(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Files.createDirectories(tmp.resolve("a"));
        Files.createDirectories(tmp.resolve("b"));
        Files.writeString(
                tmp.resolve("a/A.java"), "package dev.stillpoint.guest.a;\nimport dev.stillpoint.guest.b.B;\n");
        Files.writeString(
                tmp.resolve("b/B.java"), "package dev.stillpoint.guest.b;\nclass B { dev.stillpoint.guest.a.A a; }\n");
        assertThat(cycle(graph(tmp))).isEqualTo("a -> b -> a");
    }
}
