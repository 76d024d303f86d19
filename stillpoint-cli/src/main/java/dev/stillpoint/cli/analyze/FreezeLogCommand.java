package dev.stillpoint.cli.analyze;

import dev.stillpoint.engine.diagnostics.FreezeLogAnalysis;
import dev.stillpoint.engine.diagnostics.FreezeLogAnalyzer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code stillpoint analyze freeze-log FILE...}: freeze-to-thaw windows. */
@Command(
        name = "freeze-log",
        mixinStandardHelpOptions = true,
        description = {
            "Freeze-to-thaw windows from hook logs (the sample scripts' date + freeze/thaw lines), "
                    + "InterSystems Cache/IRIS snapshot and backup logs, and Stillpoint's own JSON reports "
                    + "(last-report.json).",
            "Give the freeze and the thaw log of a script together; they are paired by time."
        })
public final class FreezeLogCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "log files or JSON reports (plain or gzip)")
    List<Path> files;

    @Option(names = "--json", description = "Print one JSON document (shape in docs/scripting.md).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        FreezeLogAnalysis analysis = new FreezeLogAnalyzer().analyze(files);
        if (json) {
            new FreezeLogJsonPrinter(spec.commandLine().getOut()).print(analysis);
        } else {
            new FreezeLogTextPrinter(spec.commandLine().getOut()).print(analysis);
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
