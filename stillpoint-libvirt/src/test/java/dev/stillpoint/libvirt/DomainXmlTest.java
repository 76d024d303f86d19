package dev.stillpoint.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.engine.vm.VmDisk;
import java.util.List;
import org.junit.jupiter.api.Test;

class DomainXmlTest {
    @Test
    void includesFileAndBlockBackedQcow2AndRawAndSaysWhyOthersAreSkipped() {
        String xml = """
                <domain type='qemu'><name>web1</name><devices>
                  <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
                    <source file='/var/lib/libvirt/images/web1.qcow2'/><target dev='vda' bus='virtio'/></disk>
                  <disk type='file' device='disk'><driver name='qemu' type='raw'/>
                    <source file='/data/web1-data.img'/><target dev='vdb' bus='virtio'/></disk>
                  <disk type='file' device='cdrom'><driver name='qemu' type='raw'/>
                    <source file='/iso/debian.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>
                  <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
                    <source file='/shared/ro.qcow2'/><target dev='vdc' bus='virtio'/><readonly/></disk>
                  <disk type='block' device='disk'><driver name='qemu' type='raw'/>
                    <source dev='/dev/vg0/lv'/><target dev='vdd' bus='virtio'/></disk>
                  <disk type='file' device='disk'><driver name='qemu' type='vmdk'/>
                    <source file='/x.vmdk'/><target dev='vde' bus='virtio'/></disk>
                  <disk type='network' device='disk'><driver name='qemu' type='raw'/>
                    <source protocol='rbd' name='pool/img'/><target dev='vdf' bus='virtio'/></disk>
                  <disk type='block' device='disk'><driver name='qemu' type='raw'/><target dev='vdg'/></disk>
                </devices></domain>
                """;
        List<VmDisk> disks = DomainXml.disks(xml);
        assertThat(disks)
                .extracting(VmDisk::target)
                .containsExactly("vda", "vdb", "hdc", "vdc", "vdd", "vde", "vdf", "vdg");
        assertThat(disks.get(7).skipReason()).isEqualTo("no source device");
        assertThat(disks.get(0)).isEqualTo(new VmDisk("vda", "/var/lib/libvirt/images/web1.qcow2", "qcow2", null));
        assertThat(disks.get(1)).isEqualTo(new VmDisk("vdb", "/data/web1-data.img", "raw", null));
        assertThat(disks.get(2).skipReason()).startsWith("cdrom");
        assertThat(disks.get(3).skipReason()).isEqualTo("read-only");
        assertThat(disks.get(4)).isEqualTo(new VmDisk("vdd", "/dev/vg0/lv", "raw", null));
        assertThat(disks.get(5).skipReason()).contains("'vmdk'");
        assertThat(disks.get(6).skipReason()).contains("type='network'");
        assertThat(disks.get(6).source()).isNull();
    }

    @Test
    void emptyDriveAndMissingDriverType() {
        String xml = """
                <domain><devices>
                  <disk type='file' device='disk'><target dev='vda'/></disk>
                  <disk type='file' device='disk'><source file='/a.img'/><target dev='vdb'/></disk>
                  <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
                </devices></domain>
                """;
        List<VmDisk> disks = DomainXml.disks(xml);
        assertThat(disks.get(0).skipReason()).contains("no source file");
        assertThat(disks.get(1)).isEqualTo(new VmDisk("vdb", "/a.img", "raw", null));
        assertThat(DomainXml.hasAgentChannel(xml)).isTrue();
    }

    @Test
    void rejectsDoctypeAndMalformedXml() {
        assertThatThrownBy(() ->
                        DomainXml.disks("<!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain>&x;</domain>"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("domain XML");
        assertThatThrownBy(() -> DomainXml.disks("<domain>")).isInstanceOf(IllegalArgumentException.class);
    }
}
