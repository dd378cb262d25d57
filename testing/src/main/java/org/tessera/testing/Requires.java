package org.tessera.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test needs from the machine (a dataset, an OpenCL runtime). Where it is missing the test is skipped with
 * the reason, which names the package to install, and {@link SkippedTestsReport} lists it at the end of the run. With
 * {@code -Dtessera.requireAll=true} (CI) a missing requirement fails the test instead: CI never skips silently.
 */
public final class Requires {
    /** The switch under which a missing requirement fails instead of skipping. */
    public static final String REQUIRE_ALL = "tessera.requireAll";

    private Requires() {}

    /** Skips (or under {@link #REQUIRE_ALL} fails) the calling test unless {@code present}. */
    public static void that(boolean present, String reason) {
        if (present) return;
        if (Boolean.getBoolean(REQUIRE_ALL)) Assertions.fail(reason + " (" + REQUIRE_ALL + "=true: required here)");
        Assumptions.abort(reason);
    }
}
