package dev.stillpoint.engine.fakes;

import dev.stillpoint.engine.vm.VmDomain.GuestAgent;
import dev.stillpoint.engine.vm.VmException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;

/** A scripted guest agent that logs every call in order. */
public final class FakeAgent implements GuestAgent {
    public final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    public boolean answers = true;
    /** Thrown by freeze when set. */
    public VmException freezeError;
    /** Freeze blocks this long before returning (to exercise the host-side timeout). */
    public Duration freezeDelay = Duration.ZERO;

    public int filesystems = 2;
    /** Report file content before the freeze and after it (null: no file). */
    public String reportBefore;

    public String reportAfterFreeze;
    /** Report file content after a freeze that failed with {@link #freezeError} (null: unchanged). */
    public String reportAfterFailedFreeze;

    public volatile boolean frozen;
    /** Files written through guest-file-open (mode w) / guest-file-write: path to content. */
    public final java.util.Map<String, String> written =
            java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>());
    /** guest-file-open for writing fails (an agent with the file commands blocked). */
    public boolean fileWriteRefused;

    private String writing;
    private boolean froze;

    @Override
    public boolean ping(Duration timeout) {
        calls.add("ping");
        return answers;
    }

    @Override
    public int freeze(Duration timeout) throws VmException {
        calls.add("freeze");
        if (freezeError != null) {
            if (reportAfterFailedFreeze != null) {
                reportAfterFreeze = reportAfterFailedFreeze;
                froze = true;
            }
            throw freezeError;
        }
        try {
            Thread.sleep(freezeDelay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        frozen = true;
        froze = true;
        return filesystems;
    }

    @Override
    public int thaw(Duration timeout) {
        calls.add("thaw");
        frozen = false;
        return filesystems;
    }

    @Override
    public String freezeStatus(Duration timeout) {
        calls.add("status");
        return frozen ? "frozen" : "thawed";
    }

    @Override
    public String command(String json, Duration timeout) throws VmException {
        String report = froze ? reportAfterFreeze : reportBefore;
        if (json.contains("guest-file-open") && json.contains("\"mode\":\"w\"")) {
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("\"path\":\"([^\"]+)\"").matcher(json);
            calls.add("file-open-w");
            if (fileWriteRefused)
                throw new VmException(VmException.Code.OPERATION_FAILED, "Command guest-file-open has been disabled");
            writing = m.find() ? m.group(1) : "?";
            return "{\"return\":2000}";
        }
        if (json.contains("guest-file-write")) {
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("\"buf-b64\":\"([^\"]*)\"").matcher(json);
            calls.add("file-write");
            written.put(
                    writing,
                    m.find() ? new String(Base64.getDecoder().decode(m.group(1)), StandardCharsets.UTF_8) : "");
            return "{\"return\":{\"count\":1,\"eof\":false}}";
        }
        if (json.contains("guest-file-open")) {
            calls.add("file-open");
            if (report == null) throw new VmException(VmException.Code.OPERATION_FAILED, "No such file");
            return "{\"return\":1000}";
        }
        if (json.contains("guest-file-read")) {
            String b64 = Base64.getEncoder().encodeToString(report.getBytes(StandardCharsets.UTF_8));
            return "{\"return\":{\"count\":" + report.length() + ",\"buf-b64\":\"" + b64 + "\",\"eof\":true}}";
        }
        if (json.contains("guest-file-close")) {
            calls.add("file-close");
            return "{\"return\":{}}";
        }
        throw new VmException(VmException.Code.OPERATION_FAILED, "unexpected command " + json);
    }

    /** Calls without the report file traffic and status polls. */
    public List<String> freezeThawCalls() {
        synchronized (calls) {
            return calls.stream()
                    .filter(c -> c.equals("freeze") || c.equals("thaw"))
                    .toList();
        }
    }
}
