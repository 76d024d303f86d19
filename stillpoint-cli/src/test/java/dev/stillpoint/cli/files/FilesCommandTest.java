package dev.stillpoint.cli.files;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stillpoint.cli.output.Output;
import dev.stillpoint.engine.files.GuestEntry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FilesCommandTest {
    @Test
    void textEscapesNewlinesAndControlCharactersJsonKeepsThem() throws Exception {
        GuestEntry e = new GuestEntry(
                "/srv/a name\nwith\tnewline",
                GuestEntry.Kind.SYMLINK,
                0777,
                0,
                0,
                7,
                Instant.parse("2020-09-13T12:26:40Z"),
                1,
                "back\\slash");
        StringWriter text = new StringWriter();
        FilesCommand.print(Output.of(new PrintWriter(text), new PrintWriter(new StringWriter()), false, false), e);
        assertThat(text.toString())
                .isEqualTo(
                        "lrwxrwxrwx   1     0     0            7 2020-09-13 12:26 /srv/a name\\nwith\\x09newline -> back\\\\slash\n");
        StringWriter json = new StringWriter();
        FilesCommand.print(Output.of(new PrintWriter(json), new PrintWriter(new StringWriter()), true, false), e);
        assertThat(json.toString())
                .contains("\"path\":\"/srv/a name\\nwith\\tnewline\"")
                .contains("\"kind\":\"symlink\"")
                .contains("\"mode\":\"0777\"")
                .contains("\"target\":\"back\\\\slash\"")
                .contains("\"mtime\":\"2020-09-13T12:26:40Z\"");
    }
}
