package dev.stillpoint.cli.exitcodes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.cli.ExitCodes;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The exit-code table of docs/scripting.md ("Exit codes per command") against the tests: every
 * code it lists for {@code backup}, {@code restore}, {@code image backup} and {@code image restore}
 * has a test in {@link ExitCodesIT} that reaches it (a {@link Reaches} annotation, which that
 * class checks against the real exit codes), no test claims a code the table does not list, and
 * every listed code is defined in {@link ExitCodes} (or is a signal's 128+n).
 */
class ExitCodeTableTest {
    static final Path DOC = Path.of("..", "docs", "scripting.md");
    private static final Pattern ROW = Pattern.compile("^\\| `([a-z ]+)` \\| ((?:\\d+(?:, )?)+) \\|$");

    /** The table: command to its documented exit codes. */
    static Map<String, Set<Integer>> documented() throws Exception {
        List<String> lines = Files.readAllLines(DOC);
        int start = lines.indexOf("### Exit codes per command");
        assertThat(start)
                .as("docs/scripting.md has a section '### Exit codes per command'")
                .isNotNegative();
        Map<String, Set<Integer>> table = new TreeMap<>();
        for (String line : lines.subList(start + 1, lines.size())) {
            if (line.startsWith("#")) break;
            Matcher m = ROW.matcher(line);
            if (!m.matches()) continue;
            Set<Integer> codes = new TreeSet<>();
            for (String c : m.group(2).split(", ")) codes.add(Integer.parseInt(c));
            table.put(m.group(1), codes);
        }
        return table;
    }

    /** What the tests claim to reach: command to codes. */
    static Map<String, Set<Integer>> tested(Class<?>... classes) {
        Map<String, Set<Integer>> out = new TreeMap<>();
        for (Class<?> c : classes) {
            for (Method m : c.getDeclaredMethods()) {
                for (Reaches r : m.getAnnotationsByType(Reaches.class)) {
                    for (String command : r.command())
                        out.computeIfAbsent(command, k -> new TreeSet<>()).add(r.code());
                }
            }
        }
        return out;
    }

    @Test
    void everyDocumentedCodeOfTheBackupAndRestoreCommandsIsReachedByATest() throws Exception {
        Map<String, Set<Integer>> documented = documented();
        assertThat(documented).containsOnlyKeys("backup", "restore", "image backup", "image restore");
        assertThat(tested(ExitCodesIT.class)).isEqualTo(documented);
    }

    @Test
    void everyDocumentedCodeIsDefinedInExitCodes() throws Exception {
        Set<Integer> defined = new TreeSet<>();
        for (Field f : ExitCodes.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) defined.add(f.getInt(null));
        }
        List<Integer> undefined = new ArrayList<>();
        for (Set<Integer> codes : documented().values()) {
            for (int c : codes) if (!defined.contains(c) && c != 143) undefined.add(c);
        }
        assertThat(undefined).as("codes of the table missing from ExitCodes").isEmpty();
        String doc = Files.readString(DOC);
        for (int c : defined)
            assertThat(doc).as("exit code %d is documented", c).containsPattern("\\| " + c + "\\b");
    }
}
