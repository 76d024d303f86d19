package dev.stillpoint.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LibvirtGuestAgentTest {
    @Test
    void timeoutsRoundUpToWholeSeconds() {
        assertThat(LibvirtGuestAgent.seconds(Duration.ofMillis(1))).isEqualTo(1);
        assertThat(LibvirtGuestAgent.seconds(Duration.ofMillis(1500))).isEqualTo(2);
        assertThat(LibvirtGuestAgent.seconds(Duration.ofSeconds(30))).isEqualTo(30);
        assertThatThrownBy(() -> LibvirtGuestAgent.seconds(Duration.ZERO)).hasMessageContaining("positive");
    }
}
