package dev.stillpoint.cli.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class SnapshotDurationsTest {
    private final SnapshotDurations c = new SnapshotDurations();

    @Test
    void unitsAndIso() {
        assertThat(c.convert("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.convert("30m")).isEqualTo(Duration.ofMinutes(30));
        assertThat(c.convert("12h")).isEqualTo(Duration.ofHours(12));
        assertThat(c.convert("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(c.convert("2w")).isEqualTo(Duration.ofDays(14));
        assertThat(c.convert("PT36H")).isEqualTo(Duration.ofHours(36));
    }

    @Test
    void rejectsNonsenseAndNonPositive() {
        for (String bad : new String[] {"", "h", "12", "3y", "-1h", "0m", "PT0S", "soon"})
            assertThatThrownBy(() -> c.convert(bad)).as(bad).isInstanceOf(TypeConversionException.class);
    }
}
