package dev.stillpoint.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** A run builds only the top-level command it names, and that command is the same as in the whole tree. */
class MainTest {
    static final List<String> TOP_LEVEL = List.of(
            "help",
            "analyze",
            "vm",
            "guest",
            "repo",
            "image",
            "snapshots",
            "instant",
            "check",
            "forget",
            "prune",
            "stats",
            "copy",
            "catalog",
            "backup",
            "restore",
            "backups",
            "export",
            "verify",
            "files",
            "mount",
            "umount");

    @Test
    void theWholeTreeHasEveryCommandInHelpOrder() {
        assertThat(Main.commandLine().getSubcommands().keySet()).containsExactlyElementsOf(TOP_LEVEL);
        for (String notACommand : new String[] {"--help", "--version", "bakup", "help"})
            assertThat(Main.commandLine(notACommand).getSubcommands().keySet())
                    .as(notACommand)
                    .containsExactlyElementsOf(TOP_LEVEL);
    }

    @Test
    void aNamedCommandIsBuiltAloneAndAsInTheWholeTree() {
        CommandLine whole = Main.commandLine();
        for (String name : TOP_LEVEL) {
            if (name.equals("help")) continue;
            CommandLine lazy = Main.commandLine(name);
            assertThat(lazy.getSubcommands().keySet()).as(name).containsExactly(name);
            assertThat(usages(lazy.getSubcommands().get(name)))
                    .as(name)
                    .isEqualTo(usages(whole.getSubcommands().get(name)));
        }
    }

    @Test
    void aRunThroughTheLazyTreeExitsAsTheWholeTreeDoes() {
        String[][] runs = {
            {"image", "backup", "--help"}, {"snapshots", "audit", "--help"}, {"check", "--no-such-option"}, {"prune"}
        };
        for (String[] args : runs) {
            CommandLine lazy = quiet(Main.commandLine(args[0])), whole = quiet(Main.commandLine());
            assertThat(lazy.execute(args)).as(String.join(" ", args)).isEqualTo(whole.execute(args));
        }
    }

    private static CommandLine quiet(CommandLine cl) {
        cl.setOut(new java.io.PrintWriter(java.io.Writer.nullWriter()));
        cl.setErr(new java.io.PrintWriter(java.io.Writer.nullWriter()));
        return cl;
    }

    /** The usage text of {@code cl} and of every command under it. */
    private static List<String> usages(CommandLine cl) {
        List<String> out = new ArrayList<>();
        out.add(cl.getCommandSpec().qualifiedName() + "\n" + cl.getUsageMessage(CommandLine.Help.Ansi.OFF));
        for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) out.addAll(usages(e.getValue()));
        return out;
    }
}
