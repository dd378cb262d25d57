package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tessera.tests.Assertions2.assertClose;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.autograd.Autograd;

/** One test per autograd rule of the API contract. */
class AutogradTest {

    @AfterEach
    void anomalyOff() {
        Autograd.detectAnomaly(false);
    }

    private static Tensor leaf(Device d, double... v) {
        return Tensor.of(d, v).requiresGrad(true);
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void subtractingAScalarIsRecordedAsSub(Device d) {
        Tensor x = leaf(d, 1, -2, 3);
        Tensor y = x.sub(0.5);                      // runs as x + (-0.5): the same bits as x - 0.5
        assertEquals("sub", y.gradFn().op());
        assertClose(new double[] {0.5, -2.5, 2.5}, y, 0);
        Tensor z = x.mul(1).subi(0.5);
        assertEquals("sub", z.gradFn().op(), "in place, recorded under the op's name");
        assertEquals("add", x.add(0.5).gradFn().op());
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void gradientsMeetingAtATensorAreSummed(Device d) {
        Tensor x = leaf(d, 1, -2, 3);
        Tensor y = x.mul(x).add(x).sum();           // dy/dx = 2x + 1, x used three times
        y.backward();
        assertClose(new double[] {3, -3, 7}, x.grad(), 0);
        Tensor w = leaf(d, 0.5), a = Tensor.of(d, new double[] {2}), b = Tensor.of(d, new double[] {-7});
        w.mul(a).add(w.mul(b)).sum().backward();    // a shared weight: dw = a + b
        assertClose(new double[] {-5}, w.grad(), 0);
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void leavesAccumulateAcrossBackwardCallsUntilZeroed(Device d) {
        Tensor x = leaf(d, 1, 2);
        x.mul(3).sum().backward();
        x.mul(3).sum().backward();
        assertClose(new double[] {6, 6}, x.grad(), 0);
        x.zeroGrad();
        assertNull(x.grad());
        x.mul(3).sum().backward();
        assertClose(new double[] {3, 3}, x.grad(), 0);
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void retainGraphAllowsASecondBackwardAndWithoutItTheSecondThrows(Device d) {
        Tensor x = leaf(d, 2);
        Tensor y = x.tanh().mul(x).sum();
        Tensor one = Tensor.ones(d, DType.F64, new int[0]);
        y.backward(one, true);
        double once = x.grad().item();
        y.backward(one, false);
        assertEquals(2 * once, x.grad().item(), 1e-15);
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("retainGraph"), e.getMessage());
        assertTrue(e.getMessage().contains("second time"), e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void autogradGradLeavesDotGradUntouched(Device d) {
        Tensor x = leaf(d, 1, 2, 3), w = leaf(d, 4, 5, 6);
        Tensor y = x.mul(w).sum();
        List<Tensor> g = Autograd.grad(List.of(y), List.of(x, w));
        assertClose(new double[] {4, 5, 6}, g.get(0), 0);
        assertClose(new double[] {1, 2, 3}, g.get(1), 0);
        assertNull(x.grad());
        assertNull(w.grad());
        Tensor unused = leaf(d, 1);
        Tensor z = x.sum();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Autograd.grad(List.of(z), List.of(unused)));
        assertTrue(e.getMessage().contains("not used"), e.getMessage());
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void autogradGradTakesGradOutputsForNonScalarOutputsAndComputedInputs(Device d, DType t) {
        Tensor x = Expected.tensor("agrad.x", d, t).requiresGrad(true), w = Expected.tensor("agrad.w", d, t).requiresGrad(true);
        Tensor h = x.mul(w);
        Tensor y1 = h.tanh().mul(2), y2 = h.mul(w).sum(0, false);
        Tensor g1 = Expected.tensor("agrad.g1", d, t), g2 = Expected.tensor("agrad.g2", d, t);
        List<Tensor> g = Autograd.grad(List.of(y1, y2), List.of(x, w, h), List.of(g1, g2), false);
        assertClose("agrad.dx", g.get(0));
        assertClose("agrad.dw", g.get(1));
        assertClose("agrad.dh", g.get(2));
        assertNull(x.grad());
        assertClose("agrad.g1", g1);                                // the caller's gradOutputs are left as they were
        Tensor z = x.mul(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Autograd.grad(List.of(z), List.of(x), List.of(Tensor.ones(d, t, 3)), false));
        assertTrue(e.getMessage().contains("shape"), e.getMessage());
        IllegalStateException e2 = assertThrows(IllegalStateException.class, () -> Autograd.grad(List.of(z), List.of(x)));
        assertTrue(e2.getMessage().contains("gradOutputs"), e2.getMessage());
        List<Tensor> twice = Autograd.grad(List.of(z.sum()), List.of(x, x));
        assertClose(new double[] {2, 2, 2, 2, 2, 2}, twice.get(0), 0);
        assertClose(new double[] {2, 2, 2, 2, 2, 2}, twice.get(1), 0);
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void noGradRecordsNothingAndDetachSharesData(Device d) {
        Tensor x = leaf(d, 1, 2);
        Tensor y;
        try (var off = Autograd.noGrad()) {
            y = x.mul(2);
            assertFalse(Autograd.isGradEnabled());
        }
        assertTrue(Autograd.isGradEnabled());
        assertFalse(y.requiresGrad());
        assertNull(y.gradFn());
        Tensor det = x.detach();
        assertFalse(det.requiresGrad());
        assertTrue(det.isLeaf());
        det.addi(10);                                 // shares storage with x
        assertClose(new double[] {11, 12}, x, 0);
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void modifyingASavedTensorInPlaceMakesBackwardThrow(Device d) {
        Tensor x = leaf(d, 1, 2);
        Tensor a = x.mul(2);
        Tensor b = a.mul(x).sum();                    // mul saves a (input 0) and x
        try (var off = Autograd.noGrad()) {
            a.addi(1);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, b::backward);
        assertTrue(e.getMessage().contains("'mul'"), e.getMessage());
        assertTrue(e.getMessage().contains("input 0"), e.getMessage());
        assertTrue(e.getMessage().contains("[2]"), e.getMessage());
        Tensor s = x.sigmoid();                       // sigmoid saves its output
        Tensor l = s.sum();
        try (var off = Autograd.noGrad()) {
            s.muli(3);
        }
        IllegalStateException e2 = assertThrows(IllegalStateException.class, l::backward);
        assertTrue(e2.getMessage().contains("'sigmoid'") && e2.getMessage().contains("output"), e2.getMessage());
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void inPlaceOnALeafThatRequiresGradThrowsUnlessGradIsOff(Device d) {
        Tensor x = leaf(d, 1, 2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> x.addi(1));
        assertTrue(e.getMessage().contains("leaf"), e.getMessage());
        assertClose(new double[] {1, 2}, x, 0);
        try (var off = Autograd.noGrad()) {
            x.subi(Tensor.of(d, new double[] {0.5, 0.5}));
        }
        assertClose(new double[] {0.5, 1.5}, x, 0);
        assertEquals(1, x.version());
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void inPlaceOpsOnComputedTensorsAreDifferentiable(Device d) {
        Tensor x = leaf(d, 1, -2, 3);
        Tensor y = x.mul(2);
        y.muli(x);                                    // y = 2x^2 -> dy/dx = 4x
        y.addi(5);
        assertFalse(y.isLeaf());
        y.sum().backward();
        assertClose(new double[] {4, -8, 12}, x.grad(), 0);
        assertClose(new double[] {7, 13, 23}, y, 0);
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void aChainOf100000OpsBackpropagatesWithoutRecursion(Device d) {
        Tensor x = leaf(d, 1);
        Tensor y = x;
        for (int i = 0; i < 100_000; i++) y = y.mul(1.0);
        y.sum().backward();
        assertClose(new double[] {1}, x.grad(), 0);
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void backwardNeedsAScalarOrAGradient(Device d) {
        Tensor x = leaf(d, 1, 2);
        Tensor y = x.mul(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("[2]"), e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> y.backward(Tensor.ones(d, DType.F64, 3)));
        assertTrue(e2.getMessage().contains("[3]") && e2.getMessage().contains("[2]"), e2.getMessage());
        Tensor c = Tensor.of(d, new double[] {1});
        assertThrows(IllegalStateException.class, () -> c.sum().backward());
        assertThrows(IllegalArgumentException.class, () -> Tensor.of(d, new int[] {1}).requiresGrad(true));
        assertThrows(IllegalStateException.class, () -> y.requiresGrad(false));
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void toDotDrawsOpsLeavesAndEdges(Device d) {
        Tensor x = leaf(d, 1, 2), w = leaf(d, 3, 4);
        String dot = Autograd.toDot(x.mul(w).tanh().sum());
        assertTrue(dot.startsWith("digraph"), dot);
        assertTrue(dot.contains("label=\"mul [2]\""), dot);
        assertTrue(dot.contains("label=\"tanh [2]\""), dot);
        assertTrue(dot.contains("label=\"sum []\""), dot);
        assertEquals(2, dot.split("leaf \\[2\\]", -1).length - 1, dot);
        assertEquals(4, dot.split("->", -1).length - 1, dot);
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void anomalyModeNamesTheFirstOpProducingNaNOrInf(Device d) {
        Autograd.detectAnomaly(true);
        Tensor x = leaf(d, 1, 0);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> x.log());
        assertTrue(e.getMessage().contains("'log'") && e.getMessage().contains("AutogradTest"), e.getMessage());
        Tensor y = leaf(d, 0, 4);
        Tensor r = y.sqrt();                          // forward is finite; d sqrt / dx at 0 is infinite
        IllegalStateException e2 = assertThrows(IllegalStateException.class, () -> r.sum().backward());
        assertTrue(e2.getMessage().contains("'sqrt'"), e2.getMessage());
    }
}
