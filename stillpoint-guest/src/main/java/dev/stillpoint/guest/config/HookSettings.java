package dev.stillpoint.guest.config;

import java.util.Set;

/** Per-hook overrides from a {@code [hook "PATH"]} section; null fields mean "use the default". */
public final class HookSettings {
    Integer timeoutSeconds;
    Set<Integer> successExitCodes;
    Boolean optional;
    Integer retries;
    Boolean acceptGroupWritable;

    public Integer timeoutSeconds() {
        return timeoutSeconds;
    }

    public Set<Integer> successExitCodes() {
        return successExitCodes;
    }

    public Boolean optional() {
        return optional;
    }

    public Integer retries() {
        return retries;
    }

    /** The hook's files may be group-writable (a knowing exception to {@code HookSecurity}'s rule). */
    public boolean acceptGroupWritable() {
        return acceptGroupWritable != null && acceptGroupWritable;
    }
}
