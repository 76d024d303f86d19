package dev.stillpoint.guest.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.stillpoint.guest.ExitCodes;
import dev.stillpoint.guest.doctor.Doctor;
import dev.stillpoint.guest.doctor.Finding;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "doctor", description = "Check every hook convention found; exit 3 when any error is found.")
final class DoctorCommand implements Callable<Integer> {
    @Mixin
    GuestOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print findings as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        return GuestMain.guarded(spec, this::run);
    }

    private Integer run() throws Exception {
        Doctor.Result r = new Doctor(common.root(), GuestMain.builtIns()).run();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("root", common.root().toString());
            m.put("errors", r.errors());
            m.put("warnings", r.warnings());
            List<Object> f = new ArrayList<>();
            for (Finding x : r.findings) f.add(x.toMap());
            m.put("findings", f);
            m.put("hooks", r.hooks);
            out.println(JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT).asString(m));
        } else {
            out.println("hooks in freeze order (" + r.hooks.size() + "):");
            for (String h : r.hooks) out.println("  " + h);
            for (Finding x : r.findings) out.println(x);
            out.println(r.errors() + " error(s), " + r.warnings() + " warning(s)");
        }
        out.flush();
        return r.errors() > 0 ? ExitCodes.DOCTOR_ERRORS : ExitCodes.OK;
    }
}
