package dev.stillpoint.guest.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/** Directory listings in the platforms' order. */
public final class Dirs {
    private Dirs() {}

    /** Entries of {@code dir} in byte order of their names (C-locale glob, VMware's strcmp); empty when unreadable. */
    public static List<Path> listSorted(Path dir, boolean includeDotFiles) {
        if (!Files.isDirectory(dir)) return List.of();
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (!includeDotFiles && p.getFileName().toString().startsWith(".")) continue;
                out.add(p);
            }
        } catch (IOException e) {
            return List.of();
        }
        out.sort(Comparator.comparing(
                p -> p.getFileName().toString().getBytes(StandardCharsets.UTF_8), Dirs::compareBytes));
        return Collections.unmodifiableList(out);
    }

    static int compareBytes(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b);
    }
}
