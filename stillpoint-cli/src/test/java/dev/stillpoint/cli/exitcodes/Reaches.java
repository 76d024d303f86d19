package dev.stillpoint.cli.exitcodes;

import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * This test makes each {@code command} exit with {@code code} through the command line. {@link
 * ExitCodesIT} checks after each test that it did; {@link ExitCodeTableTest} that every code the
 * per-command table of docs/scripting.md lists has such a test.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@Repeatable(Reaches.All.class)
public @interface Reaches {
    /** Of {@code backup}, {@code restore}, {@code image backup}, {@code image restore}. */
    String[] command();

    int code();

    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.METHOD)
    public @interface All {
        Reaches[] value();
    }
}
