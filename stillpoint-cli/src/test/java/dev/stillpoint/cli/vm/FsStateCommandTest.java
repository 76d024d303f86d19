package dev.stillpoint.cli.vm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmDomain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class FsStateCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final List<String> agentCalls = new ArrayList<>();
    private boolean frozen;

    /** A guest agent answering like qemu-ga for one ext4 root (not clean) and one xfs mount. */
    private VmDomain.GuestAgent agent() {
        String stdout = Base64.getEncoder()
                .encodeToString("Filesystem volume name:   <none>\nFilesystem state:         not clean\n"
                        .getBytes(StandardCharsets.UTF_8));
        return (VmDomain.GuestAgent) Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {VmDomain.GuestAgent.class},
                (p, m, a) -> switch (m.getName()) {
                    case "freezeStatus" -> frozen ? "frozen" : "thawed";
                    case "command" -> {
                        String cmd = (String) a[0];
                        agentCalls.add(cmd);
                        if (frozen) {
                            yield "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Command has been disabled: the agent is in frozen state\"}}";
                        }
                        if (cmd.contains("guest-get-fsinfo")) {
                            yield "{\"return\":[{\"name\":\"vda1\",\"mountpoint\":\"/\",\"type\":\"ext4\",\"disk\":[]},"
                                    + "{\"name\":\"vdb\",\"mountpoint\":\"/srv\",\"type\":\"xfs\",\"disk\":[]}]}";
                        }
                        if (cmd.contains("guest-exec-status")) {
                            yield "{\"return\":{\"exited\":true,\"exitcode\":0,\"out-data\":\"" + stdout + "\"}}";
                        }
                        yield "{\"return\":{\"pid\":42}}";
                    }
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    private VmConnector connector(String existing) {
        VmDomain.GuestAgent agent = agent();
        VmDomain domain = (VmDomain) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {VmDomain.class}, (p, m, a) -> switch (m.getName()) {
                    case "name" -> existing;
                    case "agent" -> agent;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        return (VmConnector) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {VmConnector.class}, (p, m, a) -> switch (m.getName()) {
                    case "find" -> a[0].equals(existing) ? Optional.of(domain) : Optional.empty();
                    case "close" -> null;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    private int run(String... args) {
        CommandLine cl = new CommandLine(new FsStateCommand(uri -> connector("sp-diag-vm")));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void textShowsStateAndFreezeStatus() {
        assertThat(run("sp-diag-vm")).isZero();
        assertThat(out.toString())
                .contains("sp-diag-vm: guest filesystems are thawed")
                .contains("/dev/vda1")
                .contains("not clean")
                .contains("1 other filesystem(s) not inspected");
        assertThat(agentCalls)
                .anyMatch(c -> c.contains("guest-exec\"") && c.contains("/sbin/dumpe2fs") && c.contains("/dev/vda1"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonShape() throws Exception {
        assertThat(run("--json", "sp-diag-vm")).isZero();
        Map<String, Object> j = (Map<String, Object>) JSON.std.anyFrom(out.toString());
        assertThat(j)
                .containsEntry("domain", "sp-diag-vm")
                .containsEntry("freezeStatus", "thawed")
                .containsEntry("otherFilesystems", 1)
                .containsEntry("note", null);
        List<Map<String, Object>> fs = (List<Map<String, Object>>) j.get("filesystems");
        assertThat(fs)
                .singleElement()
                .satisfies(f -> assertThat(f)
                        .containsEntry("device", "/dev/vda1")
                        .containsEntry("state", "not clean")
                        .containsEntry("clean", false)
                        .containsEntry("error", null)
                        .containsEntry("mountpoints", List.of("/")));
    }

    @Test
    @SuppressWarnings("unchecked")
    void frozenGuestGivesStatusOnly() throws Exception {
        frozen = true;
        assertThat(run("--json", "sp-diag-vm")).isZero();
        Map<String, Object> j = (Map<String, Object>) JSON.std.anyFrom(out.toString());
        assertThat(j).containsEntry("freezeStatus", "frozen").containsEntry("filesystems", List.of());
        assertThat((String) j.get("note")).contains("frozen");
        assertThat(agentCalls).isEmpty();
    }

    @Test
    void unknownDomainFailsNamingIt() {
        assertThat(run("sp-diag-missing")).isNotZero();
        assertThat(err.toString()).contains("sp-diag-missing").contains("not found");
    }
}
