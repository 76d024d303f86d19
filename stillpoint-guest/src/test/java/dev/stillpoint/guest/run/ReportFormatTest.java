package dev.stillpoint.guest.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.guest.contract.GoldenReport;
import dev.stillpoint.guest.contract.GuestReport;
import dev.stillpoint.guest.state.ReportStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report this runner writes has the golden report's shape (the host's tests read the same golden file): every
 * field it writes is a golden field with a value of the same JSON type, and the host's reader reads it back.
 */
class ReportFormatTest {
    @TempDir
    Path root;

    @Test
    void theWrittenReportHasTheGoldenShape() throws Exception {
        GuestTree t = new GuestTree(root);
        t.script("/etc/stillpoint/hooks.d/10-db", "db", 0);
        t.write("/etc/qemu/fsfreeze-hook.d/x.sample", "", "rwx------");
        QuiesceRunner.Options o =
                QuiesceRunner.Options.of(root).withNoFsfreeze(true).withWatchdog((r, token, d) -> -1);
        new QuiesceRunner(o, e -> {}).freeze();
        new QuiesceRunner(o, e -> {}).thaw(QuiesceRunner.ThawKind.THAW, null);
        String written = Files.readString(root.resolve(ReportStore.PATH));
        Map<String, Object> golden = JSON.std.mapFrom(GoldenReport.text());
        Map<String, Object> report = JSON.std.mapFrom(written);
        assertSameShape("", report, golden);
        assertThat(report)
                .containsKeys(
                        "version",
                        "operation",
                        "hooks",
                        "skipped",
                        "consistency",
                        "freezeWindowMs",
                        "errors",
                        "result");
        GuestReport read = GuestReport.parse(written);
        assertThat(read.applicationConsistent()).isTrue();
        assertThat(read.hooks()).extracting(GuestReport.HookRun::phase).containsExactly("freeze", "thaw");
    }

    @SuppressWarnings("unchecked")
    static void assertSameShape(String where, Map<String, Object> actual, Map<String, Object> golden) {
        for (Map.Entry<String, Object> e : actual.entrySet()) {
            String k = where + e.getKey();
            assertThat(golden).as("golden-report.json has field " + k).containsKey(e.getKey());
            Object g = golden.get(e.getKey());
            Object v = e.getValue();
            assertThat(kind(v)).as("JSON type of " + k).isEqualTo(kind(g));
            if (v instanceof Map<?, ?>) assertSameShape(k + ".", (Map<String, Object>) v, (Map<String, Object>) g);
            if (v instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Map<?, ?>) {
                for (Object item : l)
                    assertSameShape(k + "[].", (Map<String, Object>) item, (Map<String, Object>) ((List<?>) g).get(0));
            }
        }
    }

    private static String kind(Object v) {
        return v instanceof Map<?, ?>
                ? "object"
                : v instanceof List<?>
                        ? "array"
                        : v instanceof String
                                ? "string"
                                : v instanceof Boolean ? "boolean" : v instanceof Number ? "number" : "null";
    }
}
