package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.autograd.GradCheck;

/** GradCheck itself: it must fail on a wrong gradient, or every gradient check of the suites proves nothing. */
class GradCheckTest {

    private static Tensor x(Device d) {
        return Tensor.of(d, new double[] {0.5, -1.25, 2.0, 3.5}, 2, 2).requiresGrad(true);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void aRightGradientPasses(Device d) {
        assertTrue(GradCheck.check(in -> in.get(0).mul(in.get(0)), List.of(x(d))));
        assertTrue(GradCheck.report(in -> in.get(0).mul(in.get(0)), List.of(x(d)), GradCheck.DEFAULT_EPS,
                GradCheck.DEFAULT_ATOL, GradCheck.DEFAULT_RTOL).passed());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void aWrongGradientThrowsNamingTheElement(Device d) {
        // x * detach(x): autograd sees d/dx = x, finite differences see 2x, so every element but none at 0 disagrees
        GradCheck.Mismatch m = assertThrows(GradCheck.Mismatch.class,
                () -> GradCheck.check(in -> in.get(0).mul(in.get(0).detach()), List.of(x(d))));
        assertTrue(m.getMessage().contains("input 0 [2, 2]") && m.getMessage().contains("at flat element"), m.getMessage());
        GradCheck.Report r = GradCheck.report(in -> in.get(0).mul(in.get(0).detach()), List.of(x(d)), GradCheck.DEFAULT_EPS,
                GradCheck.DEFAULT_ATOL, GradCheck.DEFAULT_RTOL);
        assertFalse(r.passed());
        assertEquals(4, r.elements());
        assertEquals(2 * r.analytic(), r.numeric(), 1e-6, "numeric twice the analytic at the worst element");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void f32InputsAreRefusedBeforeAnyWork(Device d) {
        Tensor x = x(d).detach().to(DType.F32).requiresGrad(true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GradCheck.check(in -> in.get(0).exp(), List.of(x)));
        assertTrue(e.getMessage().contains("F32"), e.getMessage());
    }
}
