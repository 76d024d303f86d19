package dev.stillpoint.engine.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.engine.EngineException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeExtractorTest {
    @TempDir
    Path tmp;

    /** A tar stream written header by header (ustar, GNU long names, PAX), checksums right unless broken on purpose. */
    static final class Tar {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Tar entry(char type, String name, String link, byte[] data, int mode) {
            byte[] h = new byte[512];
            put(h, 0, name, 100);
            put(h, 100, String.format("%07o", mode), 8);
            put(h, 108, String.format("%07o", 1000), 8);
            put(h, 116, String.format("%07o", 1000), 8);
            put(h, 124, String.format("%011o", data.length), 12);
            put(h, 136, String.format("%011o", 1_500_000_000L), 12);
            h[156] = (byte) type;
            put(h, 157, link, 100);
            put(h, 257, "ustar", 6);
            put(h, 263, "00", 2);
            long sum = 0;
            for (int i = 0; i < 512; i++) sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
            put(h, 148, String.format("%06o", sum), 7);
            out.writeBytes(h);
            out.writeBytes(data);
            out.writeBytes(new byte[(512 - data.length % 512) % 512]);
            return this;
        }

        Tar file(String name, String content) {
            return entry('0', name, "", content.getBytes(StandardCharsets.UTF_8), 0644);
        }

        Tar dir(String name) {
            return entry('5', name, "", new byte[0], 0755);
        }

        Tar symlink(String name, String target) {
            return entry('2', name, target, new byte[0], 0777);
        }

        Tar hardLink(String name, String target) {
            return entry('1', name, target, new byte[0], 0644);
        }

        Tar longName(String name) {
            return entry('L', "././@LongLink", "", (name + "\0").getBytes(StandardCharsets.UTF_8), 0);
        }

        Tar pax(String key, String value) {
            String rec = " " + key + "=" + value + "\n";
            int len = rec.length() + 1;
            while (String.valueOf(len).length() + rec.length() != len) len++;
            return entry('x', "PaxHeaders/x", "", (len + rec).getBytes(StandardCharsets.UTF_8), 0644);
        }

        InputStream stream() {
            out.writeBytes(new byte[1024]);
            return new ByteArrayInputStream(out.toByteArray());
        }

        private static void put(byte[] h, int off, String s, int len) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            System.arraycopy(b, 0, h, off, Math.min(b.length, len));
        }
    }

    private SafeExtractor extract(Path root, boolean force, Tar tar, String... prefix) throws Exception {
        SafeExtractor x = new SafeExtractor(root, force, FilesListener.NONE);
        x.extractTar(tar.stream(), List.of(prefix));
        x.finish();
        return x;
    }

    @Test
    void writesATreeWithLinksLongNamesAndPaxPaths() throws Exception {
        Path root = Files.createDirectory(tmp.resolve("root"));
        String longName = "d/" + "n".repeat(150);
        SafeExtractor x = extract(
                root,
                false,
                new Tar()
                        .dir("./")
                        .dir("./d")
                        .file("./d/a", "alpha")
                        .hardLink("./d/b", "./d/a")
                        .symlink("./d/up", "../../../etc/passwd")
                        .longName(longName)
                        .file("ignored", "long")
                        .pax("path", "d/pax name\nwith newline")
                        .file("ignored2", "pax"),
                "restored");
        Path d = root.resolve("restored/d");
        assertThat(d.resolve("a")).hasContent("alpha");
        assertThat(Files.getAttribute(d.resolve("b"), "unix:ino"))
                .isEqualTo(Files.getAttribute(d.resolve("a"), "unix:ino"));
        assertThat(Files.readSymbolicLink(d.resolve("up"))).isEqualTo(Path.of("../../../etc/passwd"));
        assertThat(root.resolve("restored/" + longName)).hasContent("long");
        assertThat(d.resolve("pax name\nwith newline")).hasContent("pax");
        assertThat(Files.getLastModifiedTime(d.resolve("a"))).isEqualTo(FileTime.fromMillis(1_500_000_000_000L));
        assertThat(Files.getLastModifiedTime(d)).isEqualTo(FileTime.fromMillis(1_500_000_000_000L));
        assertThat(Files.getAttribute(d.resolve("a"), "unix:mode")).isEqualTo(0100644);
        assertThat(x.files).isEqualTo(5);
        assertThat(x.bytes).isEqualTo(5 + 4 + 3);
    }

    @Test
    void refusesNamesThatEscape() throws Exception {
        Path root = Files.createDirectory(tmp.resolve("root"));
        for (Tar bad : List.of(
                new Tar().file("../escaped", "x"),
                new Tar().file("/abs", "x"),
                new Tar().file("a/../../escaped", "x"),
                new Tar().pax("path", "../escaped").file("ok", "x"),
                new Tar().longName("../../escaped").file("ok", "x"))) {
            assertThatThrownBy(() -> extract(root, true, bad))
                    .isInstanceOf(EngineException.class)
                    .hasMessageContaining("refusing archive entry")
                    .extracting(e -> ((EngineException) e).code())
                    .isEqualTo(EngineException.Code.COPY_FAILED);
        }
        assertThat(tmp.resolve("escaped")).doesNotExist();
        assertThat(root.getParent().resolve("abs")).doesNotExist();
    }

    @Test
    void neverFollowsASymlinkTheArchiveMadeOrFoundThere() throws Exception {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Path root = Files.createDirectory(tmp.resolve("root"));
        assertThatThrownBy(() -> extract(
                        root,
                        true,
                        new Tar().symlink("sneaky", outside.toString()).file("sneaky/planted", "x")))
                .hasMessageContaining("is a symlink");
        assertThatThrownBy(() ->
                        extract(root, true, new Tar().symlink("sneaky2", "..").file("sneaky2/planted", "x")))
                .hasMessageContaining("is a symlink");
        // a hard link may only name a regular file inside: not a symlink to one outside, not a path outside
        Path secret = Files.writeString(outside.resolve("secret"), "secret");
        assertThatThrownBy(() -> extract(
                        root, true, new Tar().symlink("s", secret.toString()).hardLink("h", "s")))
                .hasMessageContaining("not a regular file");
        assertThatThrownBy(() -> extract(root, true, new Tar().hardLink("h2", "../outside/secret")))
                .hasMessageContaining("'..'");
        // --force replaces an existing symlink rather than writing through it
        Files.createSymbolicLink(root.resolve("f"), secret);
        extract(root, true, new Tar().file("f", "mine"));
        assertThat(secret).hasContent("secret");
        assertThat(Files.isSymbolicLink(root.resolve("f"))).isFalse();
        assertThat(outside)
                .isDirectoryNotContaining(p -> !p.getFileName().toString().equals("secret"));
    }

    @Test
    void refusesToOverwriteWithoutForce() throws Exception {
        Path root = Files.createDirectory(tmp.resolve("root"));
        Files.writeString(root.resolve("f"), "old");
        assertThatThrownBy(() -> extract(root, false, new Tar().file("f", "new")))
                .extracting(e -> ((EngineException) e).code())
                .isEqualTo(EngineException.Code.ALREADY_EXISTS);
        assertThat(root.resolve("f")).hasContent("old");
        extract(root, true, new Tar().file("f", "new"));
        assertThat(root.resolve("f")).hasContent("new");
    }

    @Test
    void corruptHeadersAreRefused() throws Exception {
        byte[] tar = new Tar().file("f", "x").stream().readAllBytes();
        tar[10] ^= 1; // name byte: checksum no longer matches
        Path root = tmp;
        SafeExtractor x = new SafeExtractor(root, false, FilesListener.NONE);
        assertThatThrownBy(() -> x.extractTar(new ByteArrayInputStream(tar), List.of()))
                .hasMessageContaining("checksum");
        byte[] truncated = java.util.Arrays.copyOf(
                new Tar().file("g", "y".repeat(2000)).stream().readAllBytes(), 1024);
        assertThatThrownBy(() -> x.extractTar(new ByteArrayInputStream(truncated), List.of()))
                .hasMessageContaining("ends inside");
    }

    @Test
    void zeroBlocksBecomeHoles() throws Exception {
        Path root = Files.createDirectory(tmp.resolve("root"));
        byte[] data = new byte[8 << 20];
        data[4 << 20] = 7;
        SafeExtractor x = new SafeExtractor(root, false, FilesListener.NONE);
        x.extractTar(new Tar().entry('0', "sparse", "", data, 0600).stream(), List.of());
        Path f = root.resolve("sparse");
        assertThat(Files.size(f)).isEqualTo(8 << 20);
        assertThat(Files.readAllBytes(f)).isEqualTo(data);
        Process p = new ProcessBuilder("stat", "-c", "%b", f.toString()).start();
        long blocks = Long.parseLong(new String(p.getInputStream().readAllBytes()).strip());
        assertThat(blocks * 512).isLessThan(1 << 20);
    }

    @Test
    void readsWhatGnuTarWrites() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src/deep/" + "x".repeat(120)));
        Files.writeString(src.resolve("f " + "y".repeat(130)), "gnu");
        Files.createLink(src.resolve("hard"), src.resolve("f " + "y".repeat(130)));
        Files.createSymbolicLink(tmp.resolve("src/link"), Path.of("deep/" + "x".repeat(120) + "/hard"));
        Process tar = new ProcessBuilder("tar", "-C", tmp.resolve("src").toString(), "--numeric-owner", "-cf", "-", ".")
                .start();
        Path root = Files.createDirectory(tmp.resolve("root"));
        SafeExtractor x = new SafeExtractor(root, false, FilesListener.NONE);
        x.extractTar(tar.getInputStream(), List.of("t"));
        x.finish();
        assertThat(tar.waitFor()).isZero();
        Path out = root.resolve("t/deep/" + "x".repeat(120));
        assertThat(out.resolve("hard")).hasContent("gnu");
        assertThat(Files.getAttribute(out.resolve("hard"), "unix:ino"))
                .isEqualTo(Files.getAttribute(out.resolve("f " + "y".repeat(130)), "unix:ino"));
        assertThat(Files.readSymbolicLink(root.resolve("t/link")))
                .isEqualTo(Path.of("deep/" + "x".repeat(120) + "/hard"));
        assertThat(Files.isRegularFile(root.resolve("t/link"), LinkOption.NOFOLLOW_LINKS))
                .isFalse();
    }
}
