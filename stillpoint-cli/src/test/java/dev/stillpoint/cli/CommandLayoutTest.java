package dev.stillpoint.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The command tree is laid out as it reads: every command class lives in the package named after
 * its top-level command group, each tree is declared by its classes (nothing merged at run time),
 * a class name says one thing, and a shared option is declared once.
 */
class CommandLayoutTest {
    private static final String ROOT = "dev.stillpoint.cli";

    /**
     * Top-level command -> the package its classes live in. A group has its own package; the
     * repository's top-level commands share {@code repo} with {@code repo ...}, and the VM backup
     * commands share {@code backup}. A new top-level command is added here, on purpose.
     */
    static final Map<String, String> PACKAGES = Map.ofEntries(
            Map.entry("analyze", ROOT + ".analyze"),
            Map.entry("vm", ROOT + ".vm"),
            Map.entry("repo", ROOT + ".repo"),
            Map.entry("image", ROOT + ".image"),
            Map.entry("snapshots", ROOT + ".snapshots"),
            Map.entry("check", ROOT + ".repo"),
            Map.entry("forget", ROOT + ".repo"),
            Map.entry("prune", ROOT + ".repo"),
            Map.entry("stats", ROOT + ".repo"),
            Map.entry("copy", ROOT + ".repo"),
            Map.entry("catalog", ROOT + ".catalog"),
            Map.entry("backup", ROOT + ".backup"),
            Map.entry("restore", ROOT + ".backup"),
            Map.entry("backups", ROOT + ".backup"),
            Map.entry("export", ROOT + ".backup"),
            Map.entry("verify", ROOT + ".backup"),
            Map.entry("instant", ROOT + ".instant"),
            Map.entry("files", ROOT + ".files"),
            Map.entry("mount", ROOT + ".files"),
            Map.entry("umount", ROOT + ".files"));
    /** Mounted from elsewhere: picocli's help, the in-guest runner (stillpoint-guest). */
    private static final Set<String> FOREIGN = Set.of("help", "guest");

    @Test
    void everyCommandClassLivesInThePackageOfItsTopLevelCommand() throws Exception {
        Map<Class<?>, String> placed = new HashMap<>();
        for (Map.Entry<String, CommandLine> top :
                Main.commandLine().getSubcommands().entrySet()) {
            if (FOREIGN.contains(top.getKey())) continue;
            String pkg = PACKAGES.get(top.getKey());
            assertThat(pkg)
                    .as("top-level command '%s' has no package in CommandLayoutTest.PACKAGES", top.getKey())
                    .isNotNull();
            for (CommandLine cl : tree(top.getValue())) {
                Class<?> c = cl.getCommand().getClass();
                assertThat(c.getPackageName())
                        .as("%s (%s)", c.getName(), cl.getCommandSpec().qualifiedName())
                        .isEqualTo(pkg);
                placed.put(c, pkg);
            }
        }
        // and no command class outside the tree (a stray or runtime-only command)
        for (Class<?> c : cliClasses())
            if (c.isAnnotationPresent(CommandLine.Command.class) && c != Main.class)
                assertThat(placed)
                        .as("%s is a @Command that no top-level command reaches", c.getName())
                        .containsKey(c);
    }

    @Test
    void eachTreeIsTheOneItsClassesDeclare() {
        for (Map.Entry<String, CommandLine> top :
                Main.commandLine().getSubcommands().entrySet()) {
            if (FOREIGN.contains(top.getKey())) continue;
            for (CommandLine cl : tree(top.getValue())) {
                List<String> declared = Arrays.stream(cl.getCommand()
                                .getClass()
                                .getAnnotation(CommandLine.Command.class)
                                .subcommands())
                        .map(Class::getName)
                        .sorted()
                        .toList();
                List<String> built = cl.getSubcommands().values().stream()
                        .map(sub -> sub.getCommand().getClass().getName())
                        .sorted()
                        .toList();
                assertThat(built)
                        .as(
                                "subcommands of '%s' (added at run time?)",
                                cl.getCommandSpec().qualifiedName())
                        .isEqualTo(declared);
            }
        }
    }

    @Test
    void noTwoClassesShareAName() throws Exception {
        Map<String, List<String>> byName = new TreeMap<>();
        for (Class<?> c : cliClasses())
            if (c.getEnclosingClass() == null && !c.getSimpleName().equals("package-info"))
                byName.computeIfAbsent(c.getSimpleName(), k -> new ArrayList<>())
                        .add(c.getName());
        byName.values().removeIf(l -> l.size() < 2);
        assertThat(byName)
                .as("classes of one simple name in different packages")
                .isEmpty();
    }

    @Test
    void aSharedOptionIsDeclaredOnce() {
        // declaring class of each option -> its names and description, over the whole tree
        Map<String, Set<Class<?>>> mixinsByName = new TreeMap<>();
        Map<String, Class<?>> mixinOptions = new HashMap<>(); // names + description -> the mixin
        List<OptionSpec> commandOptions = new ArrayList<>();
        for (CommandLine cl : tree(Main.commandLine())) {
            if (FOREIGN.contains(cl.getCommandName()) || isUnder(cl, "guest")) continue;
            CommandSpec spec = cl.getCommandSpec();
            Set<OptionSpec> fromMixins = new HashSet<>();
            for (CommandSpec mixin : spec.mixins().values()) {
                Class<?> type = mixin.userObject().getClass();
                for (OptionSpec o : mixin.options()) {
                    fromMixins.add(o);
                    if (o.usageHelp() || o.versionHelp()) continue;
                    for (String n : o.names())
                        mixinsByName.computeIfAbsent(n, k -> new HashSet<>()).add(type);
                    mixinOptions.put(key(o), type);
                }
            }
            for (OptionSpec o : spec.options())
                if (!o.usageHelp()
                        && !o.versionHelp()
                        && fromMixins.stream().noneMatch(m -> m.longestName().equals(o.longestName())))
                    commandOptions.add(o);
        }
        mixinsByName.values().removeIf(s -> s.size() < 2);
        assertThat(mixinsByName)
                .as("option names declared by more than one mixin")
                .isEmpty();
        for (OptionSpec o : commandOptions)
            assertThat(mixinOptions.get(key(o)))
                    .as("%s in %s copies a mixin's option; use the mixin", o.longestName(), declaringClass(o))
                    .isNull();
    }

    private static String key(OptionSpec o) {
        return String.join(",", o.names()) + "|" + String.join(" ", o.description());
    }

    private static String declaringClass(ArgSpec a) {
        return a.userObject() instanceof Field f
                ? f.getDeclaringClass().getName()
                : a.command().userObject().getClass().getName();
    }

    private static boolean isUnder(CommandLine cl, String top) {
        for (CommandLine p = cl; p != null; p = p.getParent())
            if (p.getParent() != null && p.getParent().getParent() == null)
                return p.getCommandName().equals(top);
        return false;
    }

    /** {@code cl} and every command under it. */
    private static List<CommandLine> tree(CommandLine cl) {
        List<CommandLine> all = new ArrayList<>();
        all.add(cl);
        for (CommandLine sub : cl.getSubcommands().values()) all.addAll(tree(sub));
        return all;
    }

    /** Every class compiled from stillpoint-cli's main sources. */
    private static List<Class<?>> cliClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        Path root = Path.of(
                Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = root.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", "");
                classes.add(Class.forName(name, false, Main.class.getClassLoader()));
            }
        }
        assertThat(classes).as("classes found under " + root).hasSizeGreaterThan(20);
        return classes;
    }
}
