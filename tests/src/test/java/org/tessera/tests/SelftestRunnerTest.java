package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.conformance.Conformance;

/** The runner behind {@code tessera selftest}: every case passes on every device, and a wrong value is reported, not thrown. */
class SelftestRunnerTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void everyCasePassesOnEveryDevice(Device d) {
        List<Conformance.Result> results = Conformance.run(d, List.of(DType.F32, DType.F64), r -> {});
        assertEquals(2 * Conformance.caseNames().size(), results.size());
        List<Conformance.Result> failed = results.stream().filter(r -> !r.passed()).toList();
        assertTrue(failed.isEmpty(), "failed: " + failed);
        assertTrue(results.stream().allMatch(r -> r.checks() > 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void aWrongValueIsAMismatchNamingTheElement(Device d) {
        Conformance.Mismatch m = org.junit.jupiter.api.Assertions.assertThrows(Conformance.Mismatch.class,
                () -> Conformance.check("unary.exp.y", org.tessera.conformance.Reference.tensor("unary.exp.y", d, DType.F64).add(1e-6)));
        assertTrue(m.getMessage().contains("unary.exp.y: element 0"), m.getMessage());
        assertFalse(Conformance.caseNames().isEmpty());
    }
}
