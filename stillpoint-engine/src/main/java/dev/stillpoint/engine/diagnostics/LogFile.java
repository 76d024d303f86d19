package dev.stillpoint.engine.diagnostics;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The lines of one input file. Reads plain or gzip-compressed text (detected by the gzip magic
 * bytes, not the name), LF or CRLF line ends, UTF-8 with invalid bytes replaced, a leading byte
 * order mark dropped. A truncated gzip stream keeps the lines read before the damage and adds a
 * warning.
 */
record LogFile(String name, List<String> lines, LocalDate modified, List<ParseWarning> warnings) {

    /** Fails with a clear error when the file is missing, not a regular file or unreadable. */
    static void checkReadable(Path file) throws DiagnosticsException {
        if (!Files.exists(file)) {
            throw DiagnosticsException.notFound(file);
        }
        if (!Files.isRegularFile(file)) {
            throw new DiagnosticsException(DiagnosticsException.Code.NOT_A_FILE, file + ": not a regular file");
        }
        if (!Files.isReadable(file)) {
            throw new DiagnosticsException(DiagnosticsException.Code.UNREADABLE, file + ": permission denied");
        }
    }

    static LogFile read(Path file) throws DiagnosticsException {
        checkReadable(file);
        String name = file.toString();
        List<String> lines = new ArrayList<>();
        List<ParseWarning> warnings = new ArrayList<>();
        LocalDate modified;
        try {
            modified = LocalDate.ofInstant(Files.getLastModifiedTime(file).toInstant(), ZoneOffset.UTC);
            try (InputStream in = open(file);
                    BufferedReader r = new BufferedReader(new InputStreamReader(in, decoder()))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (lines.isEmpty() && line.startsWith("\uFEFF")) {
                        line = line.substring(1);
                    }
                    lines.add(line);
                }
            } catch (EOFException | ZipException e) {
                warnings.add(new ParseWarning(
                        name,
                        lines.size(),
                        "compressed stream ends early or is damaged (" + e.getMessage() + "); kept the " + lines.size()
                                + " lines read before"));
            }
        } catch (AccessDeniedException e) {
            throw new DiagnosticsException(DiagnosticsException.Code.UNREADABLE, file + ": permission denied", e);
        } catch (IOException e) {
            throw new DiagnosticsException(
                    DiagnosticsException.Code.UNREADABLE, file + ": cannot read: " + e.getMessage(), e);
        }
        return new LogFile(name, List.copyOf(lines), modified, List.copyOf(warnings));
    }

    private static InputStream open(Path file) throws IOException {
        BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        in.mark(2);
        int b1 = in.read();
        int b2 = in.read();
        in.reset();
        if (b1 == 0x1f && b2 == 0x8b) {
            return new GZIPInputStream(in, 1 << 16);
        }
        return in;
    }

    private static CharsetDecoder decoder() {
        return StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
    }
}
