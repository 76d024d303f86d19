package dev.stillpoint.guest.doctor;

import java.util.LinkedHashMap;
import java.util.Map;

/** One doctor finding: severity, stable code, the file (guest path), the reason; Azure's code where it applies. */
public final class Finding {
    public enum Severity {
        ERROR,
        WARNING,
        INFO
    }

    public final Severity severity;
    public final FindingCode code;
    public final String file;
    public final String reason;
    public final Integer azureCode;

    public Finding(Severity severity, FindingCode code, String file, String reason, Integer azureCode) {
        this.severity = severity;
        this.code = code;
        this.file = file;
        this.reason = reason;
        this.azureCode = azureCode;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("severity", severity.name());
        m.put("code", code.name());
        m.put("file", file);
        m.put("reason", reason);
        if (azureCode != null) m.put("azureCode", azureCode);
        return m;
    }

    @Override
    public String toString() {
        return String.format(
                "%-7s %-22s %s: %s%s",
                severity, code, file, reason, azureCode != null ? " (Azure " + azureCode + ")" : "");
    }
}
