package dev.stillpoint.testkit.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExecResultTest {
    @Test
    void orThrowReturnsSuccessAndNamesCommandExitAndStderrOnFailure() {
        ExecResult ok = new ExecResult(List.of("true"), 0, "out", "");
        assertThat(ok.orThrow()).isSameAs(ok);
        assertThat(ok.ok()).isTrue();
        ExecResult bad = new ExecResult(List.of("psql", "-c", "x"), 2, "", "ERROR: syntax\n");
        assertThat(bad.ok()).isFalse();
        assertThatThrownBy(bad::orThrow)
                .isInstanceOfSatisfying(
                        GuestLabException.class,
                        e -> assertThat(e.code()).isEqualTo(GuestLabException.Code.GUEST_COMMAND_FAILED))
                .hasMessageContaining("[psql, -c, x]")
                .hasMessageContaining("exited with 2")
                .hasMessageContaining("ERROR: syntax");
    }
}
