package org.tessera.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * At the end of a test JVM's run, the tests that were skipped (disabled or aborted by an assumption), grouped by
 * reason, on standard error: Surefire's count says how many, this says which and why. Registered through
 * META-INF/services, so every module whose tests depend on tessera-testing reports.
 */
public final class SkippedTestsReport implements TestExecutionListener {
    private final Map<String, List<String>> byReason = new TreeMap<>();
    private TestPlan plan;

    @Override
    public void testPlanExecutionStarted(TestPlan testPlan) {
        plan = testPlan;
        byReason.clear();
    }

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        add(test, reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() != TestExecutionResult.Status.ABORTED) return;
        add(test, result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
    }

    private synchronized void add(TestIdentifier test, String reason) {
        // a class (or other container) skipped whole is named alone; a test after its class
        String where = test.isContainer() || plan == null ? test.getDisplayName() + (test.isContainer() ? " (all its tests)" : "")
                : plan.getParent(test).map(parent -> parent.getDisplayName() + " > " + test.getDisplayName()).orElse(test.getDisplayName());
        String why = reason == null ? "no reason given" : reason.replaceFirst("^Assumption failed: ", "");
        byReason.computeIfAbsent(why, r -> new ArrayList<>()).add(where);
    }

    @Override
    public synchronized void testPlanExecutionFinished(TestPlan testPlan) {
        if (byReason.isEmpty()) return;
        StringBuilder s = new StringBuilder("\nSkipped tests, by reason (those skipped by Requires fail instead under -D" + Requires.REQUIRE_ALL + "=true):\n");
        byReason.forEach((why, tests) -> {
            s.append("  ").append(why).append(": ").append(tests.size()).append(tests.size() == 1 ? " test\n" : " tests\n");
            tests.stream().limit(5).forEach(t -> s.append("      ").append(t).append('\n'));
            if (tests.size() > 5) s.append("      ... and ").append(tests.size() - 5).append(" more\n");
        });
        // a test-only listener, not library code: the report is for the person reading the build's output
        System.err.print(s);
        System.err.flush();
    }
}
