package dev.stillpoint.engine.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.engine.EngineException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DomainXmlRewriterTest {
    static final String XML = """
            <domain type='qemu'>
              <name>web1</name>
              <uuid>11111111-2222-3333-4444-555555555555</uuid>
              <os><type>hvm</type><kernel>/var/lib/lab/web1-vmlinuz</kernel><initrd>/var/lib/lab/web1-initrd</initrd></os>
              <devices>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2'/>
                  <source file='/var/lib/lab/web1.qcow2'/>
                  <backingStore type='file'><format type='raw'/><source file='/var/lib/lab/base.raw'/></backingStore>
                  <target dev='vda' bus='virtio'/>
                </disk>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='raw'/>
                  <source file='/var/lib/lab/scratch.raw'/>
                  <target dev='vdb' bus='virtio'/>
                  <readonly/>
                </disk>
                <disk type='file' device='cdrom'><source file='/iso/x.iso'/><target dev='sda' bus='sata'/></disk>
                <interface type='network'><mac address='52:54:00:aa:bb:cc'/><source network='default'/></interface>
                <serial type='pty'><log file='/var/log/web1.log'/></serial>
                <serial type='file'><source path='/var/lib/lab/web1/serial.log'/><target port='1'/></serial>
                <console type='file'><source path='/var/lib/lab/web1/serial.log'/><target type='serial' port='1'/></console>
                <channel type='unix'><source mode='bind' path='/run/web1.agent'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
              </devices>
            </domain>""";

    @Test
    void rewritesIdentityDisksAndSharedHostPaths() throws Exception {
        RestoredDisk vda =
                new RestoredDisk("vda", Path.of("/restore/web1-copy-vda.qcow2"), RestoreFormat.QCOW2, 1, "s");
        String out = DomainXmlRewriter.rewrite(
                XML,
                "web1-copy",
                Map.of("vda", vda),
                Map.of("kernel", Path.of("/restore/web1-copy-vmlinuz")),
                Path.of("/restore"));

        assertThat(out)
                .contains("<name>web1-copy</name>")
                .doesNotContain("11111111-2222-3333-4444-555555555555")
                .contains("<uuid>")
                .contains("file=\"/restore/web1-copy-vda.qcow2\"")
                .doesNotContain("backingStore")
                .doesNotContain("base.raw")
                .doesNotContain("scratch.raw") // not backed up: not shared with the original
                .doesNotContain("x.iso")
                .contains("device=\"cdrom\"")
                .doesNotContain("52:54:00:aa:bb:cc")
                .containsPattern("52:54:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}")
                .doesNotContain("/var/log/web1.log")
                .doesNotContain("/run/web1.agent")
                .contains("<kernel>/restore/web1-copy-vmlinuz</kernel>")
                .contains("<initrd>/var/lib/lab/web1-initrd</initrd>")
                .doesNotContain("/var/lib/lab/web1/serial.log")
                .contains("path=\"/restore/web1-copy-serial0.log\"");
        assertThat(out.split("web1-copy-serial0.log", -1))
                .as("serial and console share the new file")
                .hasSize(3);
        assertThat(DomainXmlRewriter.rewrite(XML, "web1-copy", Map.of("vda", vda), Map.of()))
                .doesNotContain("serial.log")
                .contains("type=\"pty\"");
        assertThat(DomainXmlRewriter.bootFiles(XML)).containsEntry("kernel", Path.of("/var/lib/lab/web1-vmlinuz"));
    }

    @Test
    void theVerificationConsoleIsOneLoopbackVncWithAVideoDevice() throws Exception {
        String out = DomainXmlRewriter.withLoopbackConsole(XML);
        assertThat(out)
                .contains("<graphics autoport=\"yes\" listen=\"127.0.0.1\" port=\"-1\" type=\"vnc\">")
                .contains("<listen address=\"127.0.0.1\" type=\"address\"/>")
                .contains("<model type=\"vga\"/>");
        String withOwn = XML.replace(
                "</devices>",
                "<graphics type='spice' port='5900' listen='0.0.0.0'/><video><model type='qxl'/></video></devices>");
        String replaced = DomainXmlRewriter.withLoopbackConsole(withOwn);
        assertThat(replaced)
                .as("the original's fixed port and public listen address are dropped, its video kept")
                .doesNotContain("5900")
                .doesNotContain("0.0.0.0")
                .doesNotContain("spice")
                .contains("<model type=\"qxl\"/>")
                .doesNotContain("<model type=\"vga\"/>");
        assertThat(replaced.split("<graphics", -1)).hasSize(2);
        assertThat(DomainXmlRewriter.withLoopbackConsole(
                        XML.replace("</devices>", "<video><model type='none'/></video></devices>")))
                .doesNotContain("\"none\"")
                .contains("<model type=\"vga\"/>");
    }

    @Test
    void anInstantDiskNamesItsNbdBackingAndReplacesTheOriginalChain() throws Exception {
        RestoredDisk vda = new RestoredDisk("vda", Path.of("/r/now-vda.qcow2"), RestoreFormat.QCOW2, 1 << 30, "s1");
        DomainXmlRewriter.NbdBacking nbd = new DomainXmlRewriter.NbdBacking(Path.of("/r/now.export.sock"), "vda");
        String out = DomainXmlRewriter.rewrite(XML, "now", Map.of("vda", vda), Map.of(), null, Map.of("vda", nbd));
        assertThat(out)
                .contains("<source file=\"/r/now-vda.qcow2\"/>")
                .contains("<backingStore type=\"network\"><format type=\"raw\"/><source name=\"vda\" protocol=\"nbd\">"
                        + "<host socket=\"/r/now.export.sock\" transport=\"unix\"/></source></backingStore>")
                .doesNotContain("base.raw");
        assertThat(dev.stillpoint.engine.instant.InstantRecoveryTestAccess.dependsOnNbd(out, "vda"))
                .isTrue();
        assertThat(dev.stillpoint.engine.instant.InstantRecoveryTestAccess.dependsOnNbd(XML, "vda"))
                .as("a file backing")
                .isFalse();
        assertThat(nbd.uri()).isEqualTo("nbd+unix:///vda?socket=/r/now.export.sock");
    }

    @Test
    void rejectsBadNamesAndUnknownDisks() {
        assertThatThrownBy(() -> DomainXmlRewriter.rewrite(XML, "bad name", Map.of(), Map.of()))
                .isInstanceOf(EngineException.class)
                .hasMessageContaining("'bad name'");
        RestoredDisk vdz = new RestoredDisk("vdz", Path.of("/r/vdz.raw"), RestoreFormat.RAW, 1, "s");
        assertThatThrownBy(() -> DomainXmlRewriter.rewrite(XML, "ok", Map.of("vdz", vdz), Map.of()))
                .hasMessageContaining("vdz");
    }
}
