package dev.stillpoint.testkit.lab;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Skips (or, with -Dstillpoint.it.required=true, fails) when host programs are missing. */
final class LabAssumptions {
  private LabAssumptions() {}

  static void assumePrograms(String... programs) {
    List<String> missing = new ArrayList<>();
    for (String p : programs) {
      if (!onPath(p)) {
        missing.add(p);
      }
    }
    if (missing.isEmpty()) {
      return;
    }
    String message = "programs missing on this host: " + missing;
    if (Boolean.getBoolean("stillpoint.it.required")) {
      fail(message + " (stillpoint.it.required=true forbids skipping)");
    }
    assumeTrue(false, message);
  }

  private static boolean onPath(String program) {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }
}
