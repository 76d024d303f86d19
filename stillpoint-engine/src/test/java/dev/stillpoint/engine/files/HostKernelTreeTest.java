package dev.stillpoint.engine.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class HostKernelTreeTest {
    private static final Path ROOT = Path.of("/tmp/stillpoint-files-x/root");

    @Test
    void treePathsStayInsideThePrivateRoot() {
        assertThat(HostKernelTree.inside(ROOT, "/")).isEqualTo(ROOT);
        assertThat(HostKernelTree.inside(ROOT, "/etc/fstab")).isEqualTo(ROOT.resolve("etc/fstab"));
        // a root joined with a path by string concatenation: "/" + "/etc/fstab" must not name the host's /etc/fstab
        assertThat(HostKernelTree.inside(ROOT, "//etc/fstab")).isEqualTo(ROOT.resolve("etc/fstab"));
        assertThat(HostKernelTree.inside(ROOT, "/guest/./var/../etc")).isEqualTo(ROOT.resolve("guest/etc"));
        assertThatThrownBy(() -> HostKernelTree.inside(ROOT, "/../../etc/shadow"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
