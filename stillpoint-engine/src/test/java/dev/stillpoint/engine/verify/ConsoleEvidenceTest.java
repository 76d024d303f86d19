package dev.stillpoint.engine.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.engine.catalog.Verification;
import dev.stillpoint.engine.vm.VmDomain;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleEvidenceTest {
    @TempDir
    Path dir;

    static byte[] ppm(String header, int w, int h) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(header.getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < w * h; i++) {
            out.write(i % w == 0 ? 255 : 0); // first column red
            out.write(0);
            out.write(i % w == w - 1 ? 255 : 0); // last column blue
        }
        return out.toByteArray();
    }

    @Test
    void aPpmFromQemuIsKeptAsAPngOfTheSameSizeAndPixels() throws Exception {
        byte[] data = ppm("P6\n# qemu\n7 3\n255\n", 7, 3);
        Verification.Screenshot s = ConsoleEvidence.save(
                new VmDomain.Screenshot("image/x-portable-pixmap", data), dir.resolve("evidence"), "b1-1");
        assertThat(s.error()).isNull();
        assertThat(s.mimeType()).isEqualTo("image/png");
        assertThat(s.path()).endsWith("evidence/b1-1.png");
        assertThat(s.width()).isEqualTo(7);
        assertThat(s.height()).isEqualTo(3);
        BufferedImage img = ImageIO.read(Path.of(s.path()).toFile());
        assertThat(img.getWidth()).isEqualTo(7);
        assertThat(img.getRGB(0, 2) & 0xffffff).isEqualTo(0xff0000);
        assertThat(img.getRGB(6, 1) & 0xffffff).isEqualTo(0x0000ff);
        assertThat(img.getRGB(3, 1) & 0xffffff).isZero();
        assertThat(Files.getPosixFilePermissions(Path.of(s.path())).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");
    }

    @Test
    void aPngIsKeptAsItCameAndATruncatedPpmIsRefused() throws Exception {
        BufferedImage img = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(img, "png", png);
        Verification.Screenshot s =
                ConsoleEvidence.save(new VmDomain.Screenshot("image/png", png.toByteArray()), dir, "p");
        assertThat(s.width()).isEqualTo(640);
        assertThat(s.height()).isEqualTo(480);
        assertThat(Files.readAllBytes(Path.of(s.path()))).isEqualTo(png.toByteArray());

        byte[] cut = ppm("P6 7 3 255\n", 7, 2);
        assertThatThrownBy(
                        () -> ConsoleEvidence.save(new VmDomain.Screenshot("image/x-portable-pixmap", cut), dir, "c"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("needs 63 pixel bytes, has 42");
        assertThat(ConsoleEvidence.save(new VmDomain.Screenshot("image/x-portable-pixmap", new byte[0]), dir, "e")
                        .error())
                .contains("empty");
    }
}
