package dev.stillpoint.guest.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stillpoint.guest.ErrorCode;
import dev.stillpoint.guest.GuestException;
import dev.stillpoint.guest.HookGroup;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GuestConfigParserTest {
    static GuestConfig parse(String text) {
        return GuestConfigParser.parse("guest.conf", List.of(text.split("\n", -1)));
    }

    static void fails(String text, ErrorCode code, String message) {
        assertThatThrownBy(() -> parse(text)).isInstanceOfSatisfying(GuestException.class, e -> {
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.getMessage()).isEqualTo(message);
        });
    }

    @Test
    void readsEverySection() {
        GuestConfig c = parse(
                "# comment\n; comment\n[runner]\ntimeoutSeconds = 120\nmaxFreezeSeconds = 30\nsuccessExitCodes = 0, 2\n"
                        + "[groups]\nqemu = off\n[vmware]\nscriptArg = nightly run\n[fsfreeze]\ninclude = /data, /srv/\nexclude = /boot\n"
                        + "[hook \"/etc/qemu/fsfreeze-hook.d/10-iris\"]\nsuccessExitCodes = 0,5\noptional = yes\nretries = 2\n"
                        + "[app \"iris\"]\ntype = command\nfreeze = iris freeze IRIS; echo '#'\n");
        assertThat(c.timeoutSeconds()).isEqualTo(120);
        assertThat(c.maxFreezeSeconds()).isEqualTo(30);
        assertThat(c.successExitCodes()).isEqualTo(Set.of(0, 2));
        assertThat(c.enabled(HookGroup.QEMU)).isFalse();
        assertThat(c.enabled(HookGroup.VMWARE)).isTrue();
        assertThat(c.vmwareScriptArg()).isEqualTo("nightly run");
        assertThat(c.includeMounts()).containsExactly("/data", "/srv");
        assertThat(c.excludeMounts()).containsExactly("/boot");
        HookSettings h = c.hook(List.of("/etc/qemu/fsfreeze-hook.d/10-iris"));
        assertThat(h.successExitCodes()).isEqualTo(Set.of(0, 5));
        assertThat(h.optional()).isTrue();
        assertThat(h.retries()).isEqualTo(2);
        assertThat(c.apps().get("iris").get("freeze")).isEqualTo("iris freeze IRIS; echo '#'");
    }

    @Test
    void badInputNamesFileLineSectionKeyAndRule() {
        fails(
                "[runner]\ntimeoutSeconds = 0\n",
                ErrorCode.CONFIG_BAD_VALUE,
                "guest.conf:2 [runner] timeoutSeconds: 0 is out of range 1..86400");
        fails(
                "[runner]\ntimout = 5\n",
                ErrorCode.CONFIG_UNKNOWN_KEY,
                "guest.conf:2 [runner] timout: unknown key (known: timeoutSeconds, maxFreezeSeconds, successExitCodes)");
        fails(
                "[runer]\n",
                ErrorCode.CONFIG_UNKNOWN_KEY,
                "guest.conf:1: unknown section [runer] (known: runner, groups, vmware, fsfreeze, hook \"PATH\", app \"NAME\")");
        fails(
                "[groups]\nhyperv = true\n",
                ErrorCode.CONFIG_UNKNOWN_KEY,
                "guest.conf:2 [groups] hyperv: unknown key (known: vmware, qemu, nutanix, azure, stillpoint)");
        fails(
                "[groups]\nvmware = maybe\n",
                ErrorCode.CONFIG_BAD_VALUE,
                "guest.conf:2 [groups] vmware: 'maybe' is not a boolean (true|false)");
        fails(
                "[runner]\nsuccessExitCodes = 0,256\n",
                ErrorCode.CONFIG_BAD_VALUE,
                "guest.conf:2 [runner] successExitCodes: 256 is out of range 0..255");
        fails(
                "[fsfreeze]\ninclude = data\n",
                ErrorCode.CONFIG_BAD_VALUE,
                "guest.conf:2 [fsfreeze] include: mount point 'data' must be absolute");
        fails(
                "timeoutSeconds = 5\n",
                ErrorCode.CONFIG_SYNTAX,
                "guest.conf:1: key 'timeoutSeconds' outside of a section");
        fails("[runner\n", ErrorCode.CONFIG_SYNTAX, "guest.conf:1: section header must end with ']': [runner");
        fails("[hook etc/x]\n", ErrorCode.CONFIG_SYNTAX, "guest.conf:1: expected [hook \"NAME\"], got [hook etc/x]");
        fails(
                "[hook \"etc/x\"]\n",
                ErrorCode.CONFIG_BAD_VALUE,
                "guest.conf:1: hook path must be absolute (guest path), got \"etc/x\"");
        fails("[runner]\njust text\n", ErrorCode.CONFIG_SYNTAX, "guest.conf:2: expected key = value, got: just text");
    }
}
