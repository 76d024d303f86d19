package dev.stillpoint.engine.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotMetadataTest {
    private static final Instant EXPIRES = Instant.parse("2026-12-07T05:00:00Z");

    @Test
    void roundTripsThroughTheDescription() {
        SnapshotMetadata m =
                new SnapshotMetadata("before the upgrade\nsecond line", "application", EXPIRES, Map.of("vda", 123L));
        String d = m.description();
        assertThat(d)
                .isEqualTo(
                        "before the upgrade\nsecond line\nstillpoint: consistency=application expires=2026-12-07T05:00:00Z size-before.vda=123");
        assertThat(SnapshotMetadata.parse(d)).isEqualTo(m);
    }

    @Test
    void withoutTextTheLineIsTheDescription() {
        SnapshotMetadata m = new SnapshotMetadata(null, "memory", null, Map.of());
        assertThat(m.description()).isEqualTo("stillpoint: consistency=memory");
        assertThat(SnapshotMetadata.parse(m.description())).isEqualTo(m);
    }

    @Test
    void aForeignDescriptionIsOnlyText() {
        SnapshotMetadata m = SnapshotMetadata.parse("made by virsh");
        assertThat(m.text()).isEqualTo("made by virsh");
        assertThat(m.consistency()).isNull();
        assertThat(m.expires()).isNull();
        assertThat(SnapshotMetadata.parse(null).text()).isNull();
    }

    @Test
    void badValuesAndUnknownKeysAreIgnored() {
        SnapshotMetadata m =
                SnapshotMetadata.parse("stillpoint: expires=tomorrow size-before.vda=x future=1 consistency=crash");
        assertThat(m.expires()).isNull();
        assertThat(m.sizeBefore()).isEmpty();
        assertThat(m.consistency()).isEqualTo("crash");
    }

    @Test
    void expiresAtTheDeadline() {
        SnapshotMetadata m = new SnapshotMetadata(null, null, EXPIRES, Map.of());
        assertThat(m.expiredAt(EXPIRES.minusSeconds(1))).isFalse();
        assertThat(m.expiredAt(EXPIRES)).isTrue();
        assertThat(new SnapshotMetadata(null, null, null, Map.of()).expiredAt(Instant.MAX))
                .isFalse();
    }
}
