package dev.stillpoint.guest.hooks;

/**
 * Azure Backup's pre/post script error codes ({@code VMBackup/main/common.py}) with the names operators search
 * for (the MS Learn troubleshooting table, without its hyphens).
 */
public final class AzureCodes {
    private AzureCodes() {}

    public static final int PRE_SCRIPT_EXECUTION_FAILED = 300;
    public static final int POST_SCRIPT_EXECUTION_FAILED = 301;
    public static final int PRE_SCRIPT_TIMEOUT = 308;
    public static final int POST_SCRIPT_TIMEOUT = 309;

    /** The code of a failed pre ({@code pre = true}) or post script run. */
    public static int runtime(boolean pre, boolean timedOut) {
        if (pre) return timedOut ? PRE_SCRIPT_TIMEOUT : PRE_SCRIPT_EXECUTION_FAILED;
        return timedOut ? POST_SCRIPT_TIMEOUT : POST_SCRIPT_EXECUTION_FAILED;
    }

    /** Azure's name for a code, or null for an unknown one. */
    public static String name(Integer code) {
        if (code == null) return null;
        switch (code) {
            case 300:
                return "PreScriptExecutionFailed";
            case 301:
                return "PostScriptExecutionFailed";
            case 302:
                return "PreScriptNotFound";
            case 303:
                return "PostScriptNotFound";
            case 304:
            case 313:
            case 314:
                return "IncorrectPluginhostFile";
            case 305:
            case 316:
            case 317:
                return "IncorrectJSONConfigFile";
            case 306:
                return "InsufficientPermissionforPreScript";
            case 307:
                return "InsufficientPermissionforPostScript";
            case 308:
                return "PreScriptTimeout";
            case 309:
                return "PostScriptTimeout";
            default:
                return null;
        }
    }
}
