package dev.stillpoint.engine.verify;

import dev.stillpoint.engine.catalog.Verification;
import dev.stillpoint.engine.vm.VmDomain;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import javax.imageio.ImageIO;

/**
 * Keeps a booted point's console picture as evidence. QEMU sends binary PPM ({@code P6}); it is
 * written as PNG when the JDK's ImageIO can encode it (a tenth of the size), else as the PPM it
 * came as. The file is readable by its owner only: a console may show what is on the screen.
 */
final class ConsoleEvidence {
    static final String PPM = "image/x-portable-pixmap";
    static final String PNG = "image/png";

    private ConsoleEvidence() {}

    /** Writes {@code shot} to {@code dir/baseName.(png|ppm)} and says what was written. */
    static Verification.Screenshot save(VmDomain.Screenshot shot, Path dir, String baseName) throws IOException {
        byte[] data = shot.data();
        if (data.length == 0) return Verification.Screenshot.failed("the hypervisor sent an empty screenshot");
        String mime = shot.mimeType() == null ? "" : shot.mimeType();
        if (mime.equals(PNG) || isPng(data)) {
            ByteBuffer b = ByteBuffer.wrap(data);
            return write(dir.resolve(baseName + ".png"), data, PNG, b.getInt(16), b.getInt(20));
        }
        if (!mime.equals(PPM) && !(data[0] == 'P' && data[1] == '6')) {
            return write(dir.resolve(baseName + ".bin"), data, mime, null, null);
        }
        Ppm ppm = Ppm.parse(data);
        byte[] png = ppm.toPng();
        if (png != null) return write(dir.resolve(baseName + ".png"), png, PNG, ppm.width, ppm.height);
        return write(dir.resolve(baseName + ".ppm"), data, PPM, ppm.width, ppm.height);
    }

    private static boolean isPng(byte[] d) {
        return d.length > 24 && (d[0] & 0xff) == 0x89 && d[1] == 'P' && d[2] == 'N' && d[3] == 'G';
    }

    private static Verification.Screenshot write(Path file, byte[] data, String mime, Integer w, Integer h)
            throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, data);
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system: its defaults apply
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return new Verification.Screenshot(file.toAbsolutePath().toString(), mime, w, h, null);
    }

    /** A binary PPM: {@code P6 <ws> width <ws> height <ws> maxval <one ws> pixels}, comments from '#' to end of line. */
    record Ppm(int width, int height, int maxval, int offset, byte[] data) {
        static Ppm parse(byte[] d) throws IOException {
            if (d.length < 2 || d[0] != 'P' || d[1] != '6') throw new IOException("not a binary PPM (no P6 magic)");
            int[] pos = {2};
            int w = number(d, pos), h = number(d, pos), max = number(d, pos);
            if (pos[0] >= d.length) throw new IOException("PPM header without pixels");
            int offset = pos[0] + 1; // exactly one whitespace byte after maxval
            if (w <= 0 || h <= 0 || max <= 0 || max > 65535) {
                throw new IOException("implausible PPM header " + w + "x" + h + " maxval " + max);
            }
            long need = (long) w * h * 3 * (max < 256 ? 1 : 2);
            if (d.length - offset < need) {
                throw new IOException(
                        "PPM " + w + "x" + h + " needs " + need + " pixel bytes, has " + (d.length - offset));
            }
            return new Ppm(w, h, max, offset, d);
        }

        private static int number(byte[] d, int[] pos) throws IOException {
            int i = pos[0];
            while (i < d.length) {
                if (d[i] == '#') {
                    while (i < d.length && d[i] != '\n') i++;
                } else if (Character.isWhitespace(d[i])) {
                    i++;
                } else {
                    break;
                }
            }
            long v = 0;
            int start = i;
            while (i < d.length && d[i] >= '0' && d[i] <= '9' && v <= Integer.MAX_VALUE) v = v * 10 + (d[i++] - '0');
            if (i == start || v > Integer.MAX_VALUE) throw new IOException("bad number in PPM header at byte " + start);
            pos[0] = i;
            return (int) v;
        }

        /** The picture as PNG, or null when this JDK cannot encode PNG (no java.desktop). */
        byte[] toPng() {
            try {
                BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
                int step = maxval < 256 ? 1 : 2;
                int p = offset;
                int[] row = new int[width];
                for (int y = 0; y < height; y++) {
                    for (int x = 0; x < width; x++) {
                        int r = sample(p, step), g = sample(p + step, step), b = sample(p + 2 * step, step);
                        p += 3 * step;
                        row[x] = (r << 16) | (g << 8) | b;
                    }
                    img.setRGB(0, y, width, 1, row, 0, width);
                }
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                return ImageIO.write(img, "png", out) ? out.toByteArray() : null;
            } catch (IOException | LinkageError | RuntimeException e) {
                return null;
            }
        }

        private int sample(int p, int step) {
            int v = step == 1 ? data[p] & 0xff : ((data[p] & 0xff) << 8) | (data[p + 1] & 0xff);
            return maxval == 255 ? v : (int) ((long) v * 255 / maxval);
        }
    }
}
