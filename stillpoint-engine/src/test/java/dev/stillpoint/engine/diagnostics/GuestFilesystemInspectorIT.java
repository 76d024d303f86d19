package dev.stillpoint.engine.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.engine.vm.VmDomain;
import dev.stillpoint.engine.vm.VmException;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real {@code dumpe2fs}/{@code mke2fs}/{@code debugfs} on filesystem images: the agent double runs
 * guest-exec on this host (as qemu-ga would in the guest), so the parser sees dumpe2fs's real
 * output, including "not clean" and "clean with errors" states set with debugfs.
 */
class GuestFilesystemInspectorIT {
    @TempDir
    static Path dir;

    @BeforeAll
    static void tools() {
        for (String tool : List.of(GuestFilesystemInspector.DUMPE2FS, "/sbin/mke2fs", "/sbin/debugfs")) {
            if (!Files.isExecutable(Path.of(tool))) {
                if (Boolean.getBoolean("stillpoint.it.required")) {
                    fail(tool + " is missing (install e2fsprogs); stillpoint.it.required=true forbids skipping");
                }
                Assumptions.abort(tool + " is missing (install e2fsprogs)");
            }
        }
    }

    private static Path image(String name, String type, Integer superblockState) throws Exception {
        Path img = dir.resolve(name);
        run("/sbin/mke2fs", "-q", "-F", "-t", type, img.toString(), "4M");
        if (superblockState != null) {
            run("/sbin/debugfs", "-w", "-R", "ssv state " + superblockState, img.toString());
        }
        return img;
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    @Test
    void realDumpe2fsStates() throws Exception {
        Path clean = image("clean.img", "ext4", null);
        Path notClean = image("not-clean.img", "ext2", 0);
        Path errors = image("errors.img", "ext3", 3);
        Path garbage = dir.resolve("garbage.img");
        Files.write(garbage, new byte[1 << 16]);
        LocalAgent agent = new LocalAgent();
        agent.fs(clean, "/", "ext4");
        agent.fs(notClean, "/data", "ext2");
        agent.fs(errors, "/var", "ext3");
        agent.fs(garbage, "/broken", "ext4");
        VmDomain domain = (VmDomain) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {VmDomain.class}, (p, m, a) -> switch (m.getName()) {
                    case "name" -> "sp-diag-local";
                    case "agent" -> agent;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        FilesystemStateReport r =
                new GuestFilesystemInspector(Duration.ofMillis(20)).inspect(domain, Duration.ofSeconds(20));
        assertThat(r.filesystems())
                .extracting(FilesystemState::state)
                .containsExactly("clean", "not clean", "clean with errors", null);
        assertThat(r.filesystems()).extracting(FilesystemState::clean).containsExactly(true, false, false, null);
        assertThat(r.filesystems().get(3).error())
                .contains("exited 1")
                .contains("garbage.img")
                .doesNotContain("dumpe2fs 1.");
    }

    /** Runs guest-exec on this host and reports like qemu-ga (base64 out-data / err-data). */
    static final class LocalAgent implements VmDomain.GuestAgent {
        private final List<Map<String, Object>> fsinfo = new ArrayList<>();
        private final Map<Long, Process> processes = new LinkedHashMap<>();

        void fs(Path device, String mountpoint, String type) {
            fsinfo.add(Map.of("name", device.toString(), "mountpoint", mountpoint, "type", type, "disk", List.of()));
        }

        @Override
        public boolean ping(Duration timeout) {
            return true;
        }

        @Override
        public int freeze(Duration timeout) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int thaw(Duration timeout) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String freezeStatus(Duration timeout) {
            return "thawed";
        }

        @Override
        @SuppressWarnings("unchecked")
        public String command(String json, Duration timeout) throws VmException {
            try {
                Map<String, Object> cmd = (Map<String, Object>) JSON.std.anyFrom(json);
                Map<String, Object> args = (Map<String, Object>) cmd.get("arguments");
                Object ret = switch ((String) cmd.get("execute")) {
                    case "guest-get-fsinfo" -> fsinfo;
                    case "guest-exec" -> {
                        List<String> argv = new ArrayList<>();
                        argv.add((String) args.get("path"));
                        argv.addAll((List<String>) args.get("arg"));
                        Process p = new ProcessBuilder(argv).start();
                        processes.put(p.pid(), p);
                        yield Map.of("pid", p.pid());
                    }
                    case "guest-exec-status" -> status(processes.get(((Number) args.get("pid")).longValue()));
                    default -> throw new VmException(VmException.Code.OPERATION_FAILED, "unexpected " + json);
                };
                return JSON.std.asString(Map.of("return", ret));
            } catch (IOException e) {
                throw new VmException(VmException.Code.OPERATION_FAILED, e.getMessage(), e);
            }
        }

        private static Map<String, Object> status(Process p) throws IOException {
            if (p.isAlive()) {
                return Map.of("exited", false);
            }
            Base64.Encoder b64 = Base64.getEncoder();
            return Map.of(
                    "exited",
                    true,
                    "exitcode",
                    p.exitValue(),
                    "out-data",
                    b64.encodeToString(p.getInputStream().readAllBytes()),
                    "err-data",
                    b64.encodeToString(p.getErrorStream().readAllBytes()));
        }
    }
}
