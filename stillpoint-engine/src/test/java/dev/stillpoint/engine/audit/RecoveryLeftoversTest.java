package dev.stillpoint.engine.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.stillpoint.engine.instant.InstantSessions;
import dev.stillpoint.engine.runs.HostProcesses;
import dev.stillpoint.engine.runs.RunDirectory;
import dev.stillpoint.engine.runs.RunJournal;
import dev.stillpoint.engine.vm.VmConnector;
import dev.stillpoint.engine.vm.VmDomain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecoveryLeftoversTest {
    @TempDir
    Path tmp;

    static VmConnector connector(List<String> names) {
        return new VmConnector() {
            @Override
            public Optional<VmDomain> find(String n) {
                return Optional.empty();
            }

            @Override
            public VmDomain define(String xml) {
                throw new UnsupportedOperationException();
            }

            @Override
            public List<String> domainNames() {
                return names;
            }

            @Override
            public void close() {}
        };
    }

    static void session(InstantSessions s, String domain, long pid, String started, Path dir) throws Exception {
        Files.createDirectories(dir);
        Files.write(dir.resolve(domain + "-vda.qcow2"), new byte[4096]);
        Files.writeString(s.dir().resolve(domain + ".json"), """
                {"version":1,"domain":"%s","backupId":"b%s","state":"pulling","startedAt":"2026-12-01T00:00:00Z",\
                "exportPid":%d,"exportStartedAt":%s,"socket":"%s","dir":"%s","disks":["vda"],"files":["%s"]}""".formatted(
                        domain,
                        domain,
                        pid,
                        started == null ? "null" : "\"" + started + "\"",
                        dir.resolve(domain + ".sock"),
                        dir,
                        dir.resolve(domain + "-vda.qcow2")));
    }

    @Test
    void namesInstantSessionsDeadExportsAndVerificationLeftovers() throws Exception {
        Path state = tmp.resolve("state");
        RunDirectory runs = RunDirectory.open(state);
        InstantSessions sessions = InstantSessions.open(state);
        String me = ProcessHandle.current()
                .info()
                .startInstant()
                .map(Instant::toString)
                .orElse(null);
        session(sessions, "web1-now", ProcessHandle.current().pid(), me, tmp.resolve("i1"));
        session(sessions, "web2-now", 999_999_999L, null, tmp.resolve("i2"));
        session(sessions, "web3-gone", ProcessHandle.current().pid(), me, tmp.resolve("i3"));
        Path images = tmp.resolve("images");
        Files.createDirectories(images.resolve("sp-verify-aaaa0000-0001"));
        Files.write(images.resolve("sp-verify-aaaa0000-0001/vda.qcow2"), new byte[100]);
        Files.createDirectories(images.resolve("sp-verify-bbbb0000-0002")); // a live verification's
        Files.createDirectories(images.resolve("unrelated"));
        List<HostProcesses.Export> exports = List.of(
                new HostProcesses.Export(
                        41, "b1", tmp.resolve("i1/web1-now.sock").toString()),
                new HostProcesses.Export(42, "b9", "/run/old/export.sock"),
                new HostProcesses.Export(
                        43,
                        "b8",
                        images.resolve("sp-verify-bbbb0000-0002/export.sock").toString()));
        Clock clock = Clock.fixed(Instant.parse("2026-12-02T00:00:00Z"), ZoneOffset.UTC);
        try (RunJournal live = runs.start("r1", "verify")) {
            live.update(r -> r.withWorkDir(images.resolve("sp-verify-bbbb0000-0002"))
                    .withThrowawayDomain("sp-verify-bbbb0000-0002"));
            RecoveryLeftovers l = new RecoveryLeftovers(
                    connector(List.of("web1-now", "web2-now", "sp-verify-aaaa0000-0001", "sp-verify-bbbb0000-0002")),
                    runs,
                    sessions,
                    List.of(images, tmp.resolve("missing")),
                    () -> exports,
                    clock);
            List<AuditEntry> all = l.entries(null);
            assertThat(all)
                    .extracting(AuditEntry::domain, AuditEntry::kind, AuditEntry::name, AuditEntry::flagged)
                    .containsExactly(
                            tuple("web1-now", "instant", "bweb1-now", false),
                            tuple("web2-now", "instant", "bweb2-now", true),
                            tuple("web3-gone", "instant", "bweb3-gone", true),
                            tuple("sp-verify-aaaa0000-0001", "verify-domain", "sp-verify-aaaa0000-0001", true),
                            tuple("sp-verify-bbbb0000-0002", "verify-domain", "sp-verify-bbbb0000-0002", false),
                            tuple("-", "export", "b9", true),
                            tuple("-", "export", "b8", false),
                            tuple("-", "verify-overlay", "sp-verify-aaaa0000-0001", true));
            assertThat(all.get(0).sizeBytes()).isEqualTo(4096);
            assertThat(all.get(0).age()).hasDays(1);
            assertThat(all.get(1).note()).contains("pid 999999999").contains("is gone");
            assertThat(all.get(2).note()).contains("domain is gone").contains("instant abort web3-gone");
            assertThat(all.get(5).note()).contains("kill 42");
            assertThat(all.getLast().sizeBytes()).isEqualTo(100);

            assertThat(l.entries("web2-now"))
                    .as("one domain: its own entries, nothing host-wide")
                    .extracting(AuditEntry::kind)
                    .containsExactly("instant");
        }
    }
}
