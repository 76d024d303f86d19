package dev.stillpoint.cli.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressPrinterTest {
    @Test
    void terminalLineShowsBytesRateAndEta() {
        StringWriter out = new StringWriter(), err = new StringWriter();
        Output o = Output.of(new PrintWriter(out), new PrintWriter(err), false, true);
        AtomicLong now = new AtomicLong();
        ProgressPrinter p = new ProgressPrinter(o, "backup", now::get);
        now.set(2_000_000_000L);
        p.progress(200L << 20, 1000L << 20);
        assertThat(err.toString())
                .contains("backup: 200.0 MiB / 1000.0 MiB")
                .contains("20%")
                .contains("100.0 MiB/s")
                .contains("ETA 0:08");
        now.set(2_100_000_000L);
        p.progress(210L << 20, 1000L << 20); // throttled
        assertThat(err.toString()).doesNotContain("210.0 MiB");
        now.set(10_000_000_000L);
        p.progress(1000L << 20, 1000L << 20);
        p.close();
        assertThat(err.toString())
                .contains("1000.0 MiB / 1000.0 MiB")
                .contains("in 0:10")
                .endsWith("\n");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void jsonLinesAndSilentWhenRedirected() {
        StringWriter out = new StringWriter(), err = new StringWriter();
        Output o = Output.of(new PrintWriter(out), new PrintWriter(err), true, false);
        AtomicLong now = new AtomicLong();
        ProgressPrinter p = new ProgressPrinter(o, "restore", now::get);
        now.set(1_000_000_000L);
        p.progress(50, 100);
        p.close();
        assertThat(out.toString())
                .contains(
                        "{\"type\":\"progress\",\"action\":\"restore\",\"bytesDone\":50,\"bytesTotal\":100,\"percent\":50.0");
        assertThat(out.toString().lines().count()).isEqualTo(2);

        StringWriter out2 = new StringWriter(), err2 = new StringWriter();
        ProgressPrinter quiet = new ProgressPrinter(
                Output.of(new PrintWriter(out2), new PrintWriter(err2), false, false), "x", now::get);
        quiet.progress(1, 2);
        quiet.close();
        assertThat(out2.toString() + err2).isEmpty();
    }

    @Test
    void humanSizes() {
        assertThat(Output.bytes(1023)).isEqualTo("1023 B");
        assertThat(Output.bytes(1536)).isEqualTo("1.5 KiB");
        assertThat(Output.bytes(5L << 30)).isEqualTo("5.0 GiB");
        assertThat(Output.duration(3700)).isEqualTo("1:01:40");
    }
}
