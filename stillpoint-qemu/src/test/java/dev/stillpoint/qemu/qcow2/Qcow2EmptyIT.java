package dev.stillpoint.qemu.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.testkit.HostPrograms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Qcow2Empty} against what real {@code qemu-img create} writes, and used as a real overlay. */
class Qcow2EmptyIT {
    /** qemu-img's optional feature-name table (header extension) sits here; ours ends the list at once. */
    private static final int FEATURE_TABLE_START = 112, FEATURE_TABLE_END = 0x200;

    @TempDir
    Path dir;

    @Test
    void theSameBytesAsQemuImgCreateLessItsFeatureNameTable() throws Exception {
        HostPrograms.require("qemu-img");
        for (long size : new long[] {1L << 30, 16L << 30, (3L << 30) + 512, 1L << 20, Qcow2Empty.MAX_SIZE}) {
            Path ours = dir.resolve("ours-" + size + ".qcow2"), theirs = dir.resolve("qemu-" + size + ".qcow2");
            Qcow2Empty.create(ours, size);
            HostPrograms.run("qemu-img", "create", "-q", "-f", "qcow2", theirs.toString(), Long.toString(size));
            byte[] expected = Files.readAllBytes(theirs);
            Arrays.fill(expected, FEATURE_TABLE_START, FEATURE_TABLE_END, (byte) 0);
            assertThat(Files.readAllBytes(ours)).as("size %d", size).isEqualTo(expected);
            assertThat(HostPrograms.run("qemu-img", "check", ours.toString())).contains("No errors were found");
        }
    }

    @Test
    void worksAsACopyOnWriteOverlayOfABackingImage() throws Exception {
        HostPrograms.require("qemu-img", "qemu-io");
        Path base = dir.resolve("base.raw");
        HostPrograms.run("truncate", "-s", "8M", base.toString());
        HostPrograms.run("qemu-io", "-f", "raw", "-c", "write -P 0x5a 1M 64k", base.toString());
        Path overlay = dir.resolve("overlay.qcow2");
        Qcow2Empty.create(overlay, 8L << 20);
        String image = "driver=qcow2,file.driver=file,file.filename=" + overlay
                + ",backing.driver=raw,backing.file.driver=file,backing.file.filename=" + base;
        HostPrograms.run("qemu-io", "--image-opts", "-c", "read -P 0x5a 1M 64k", "-c", "write -P 0x33 4M 4k", image);
        HostPrograms.run("qemu-io", "--image-opts", "-c", "read -P 0x33 4M 4k", "-c", "read -P 0x5a 1M 64k", image);
        HostPrograms.run("qemu-io", "-f", "raw", "-c", "read -P 0 4M 4k", base.toString()); // the backing is untouched
        assertThat(HostPrograms.run("qemu-img", "check", overlay.toString())).contains("No errors were found");
    }

    @Test
    void refusesSizesItCannotLayOut() {
        assertThat(Qcow2Empty.supports(1L << 30)).isTrue();
        assertThat(Qcow2Empty.supports(1000)).isFalse();
        assertThat(Qcow2Empty.supports(0)).isFalse();
        assertThat(Qcow2Empty.supports(Qcow2Empty.MAX_SIZE + 512)).isFalse();
        assertThatThrownBy(() -> Qcow2Empty.create(dir.resolve("x"), 1000))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
