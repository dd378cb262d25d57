package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.autograd.Autograd;
import org.tessera.autograd.GradCheck;
import org.tessera.conformance.Conformance;
import org.tessera.conformance.Conformance.SecondOrderCase;
import org.tessera.conformance.Reference;

/**
 * Gradients of gradients (createGraph): every case of {@link Conformance#SECOND_ORDER} against PyTorch's first-order
 * gradients and Hessian-vector products to 1e-10 in F64 (2e-5 in F32) on every device, the same cases under the second-order
 * {@link GradCheck}, a gradient penalty, third derivatives from worked examples, and what createGraph leaves alone.
 */
class SecondOrderTest {

    static List<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        for (Device d : Devices.all().toList()) for (SecondOrderCase c : Conformance.SECOND_ORDER) out.add(new Object[] {d, c});
        return out;
    }

    static List<Object[]> casesWithDtypes() {
        List<Object[]> out = new ArrayList<>();
        for (Object[] dt : Devices.withFloatDtypes()) for (SecondOrderCase c : Conformance.SECOND_ORDER) out.add(new Object[] {dt[0], dt[1], c});
        return out;
    }

    private static void assumeF64() {
        assumeTrue(Devices.FLOAT_DTYPES.contains(DType.F64), "F64 is not in tessera.test.dtypes " + Devices.FLOAT_DTYPES);
    }

    @ParameterizedTest(name = "{2} {1} {0}")
    @MethodSource("casesWithDtypes")
    void hessianVectorProductAsPyTorch(Device d, DType t, SecondOrderCase c) {
        assertTrue(Conformance.checkSecondOrder(c, d, t) > 0);
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("cases")
    void secondOrderGradCheck(Device d, SecondOrderCase c) {
        assumeF64();
        List<Tensor> inputs = new ArrayList<>();
        for (String name : c.inputs()) inputs.add(Reference.tensor(name, d, DType.F64).requiresGrad(true));
        GradCheck.checkSecondOrder(c.f(), inputs);
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void gradientPenaltyAsPyTorch(Device d, DType t) {
        assertEquals(5, Conformance.checkGradientPenalty(d, t));
    }

    /** d/dx x^3 = 3x^2, d2 = 6x, d3 = 6: each order a gradient of the one before, at x = 2 and -0.5. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void cubeToTheFourthDerivative(Device d) {
        Tensor x = Tensor.of(d, new double[] {2, -0.5}, 2).requiresGrad(true);
        Tensor d1 = grad(x.pow(3).sum(), x);
        assertArrays(new double[] {12, 0.75}, d1);
        Tensor d2 = grad(d1.sum(), x);
        assertArrays(new double[] {12, -3}, d2);
        Tensor d3 = grad(d2.sum(), x);
        assertArrays(new double[] {6, 6}, d3);
    }

    /** tanh' = 1 - t^2, tanh'' = -2t(1 - t^2), tanh''' = (6t^2 - 2)(1 - t^2) with t = tanh(x). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void tanhThirdDerivative(Device d) {
        double[] xs = {-1.3, 0.2, 0.9};
        Tensor x = Tensor.of(d, xs, 3).requiresGrad(true);
        Tensor d1 = grad(x.tanh().sum(), x);
        Tensor d2 = grad(d1.sum(), x);
        Tensor d3 = grad(d2.sum(), x);
        double[] e1 = new double[3], e2 = new double[3], e3 = new double[3];
        for (int i = 0; i < 3; i++) {
            double t = Math.tanh(xs[i]), s = 1 - t * t;
            e1[i] = s;
            e2[i] = -2 * t * s;
            e3[i] = (6 * t * t - 2) * s;
        }
        assertArrays(e1, d1);
        assertArrays(e2, d2);
        assertArrays(e3, d3);
    }

    /** backward(gradient, retainGraph, createGraph) leaves a .grad with a history: differentiating it gives the Hessian's diagonal here. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void backwardWithCreateGraphGivesADifferentiableGrad(Device d) {
        Tensor x = Tensor.of(d, new double[] {0.5, -1.5, 2}, 3).requiresGrad(true);
        x.exp().mul(x).sum().backward(null, true, true);                 // d/dx x e^x = (1 + x) e^x
        Tensor g = x.grad();
        assertTrue(g.requiresGrad(), "x.grad carries the graph of the backward pass");
        double[] first = new double[3], second = new double[3], v = {0.5, -1.5, 2};
        for (int i = 0; i < 3; i++) {
            first[i] = (1 + v[i]) * Math.exp(v[i]);
            second[i] = (2 + v[i]) * Math.exp(v[i]);
        }
        assertArrays(first, g);
        Tensor h = grad(g.sum(), x);
        assertArrays(second, h);
    }

    /** Without createGraph gradients have no history, and the values are the same bits as with it. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void createGraphChangesNoValue(Device d) {
        for (DType t : Devices.FLOAT_DTYPES) {
            Tensor x = Reference.tensor("mlp.x", d, t).requiresGrad(true), w1 = Reference.tensor("mlp.w1", d, t).requiresGrad(true);
            Tensor b1 = Reference.tensor("mlp.b1", d, t).requiresGrad(true), w2 = Reference.tensor("mlp.w2", d, t).requiresGrad(true);
            List<Tensor> in = List.of(x, w1, b1, w2);
            List<Tensor> plain = Autograd.grad(List.of(Conformance.mlpLoss(in)), in, null, false, false);
            List<Tensor> recorded = Autograd.grad(List.of(Conformance.mlpLoss(in)), in, null, true, true);
            for (int i = 0; i < in.size(); i++) {
                assertFalse(plain.get(i).requiresGrad(), "input " + i);
                assertTrue(recorded.get(i).requiresGrad(), "input " + i);
                org.junit.jupiter.api.Assertions.assertArrayEquals(plain.get(i).toDoubleArray(), recorded.get(i).toDoubleArray(),
                        t + " input " + i + ": createGraph must not change the gradient's value");
            }
        }
    }

    @Test
    void secondPassThroughAFreedGraphSaysToRetainIt() {
        Tensor x = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        Tensor g = Autograd.grad(List.of(x.exp().sum()), List.of(x), null, false, true).get(0);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.sum().backward());
        assertTrue(e.getMessage().contains("retainGraph"), e.getMessage());
        assertNull(x.grad(), "nothing was accumulated");
    }

    @Test
    void everyCaseHasPyTorchValues() {
        for (SecondOrderCase c : Conformance.SECOND_ORDER) {
            for (int i = 0; i < c.inputs().size(); i++) {
                for (String part : List.of(".g", ".v", ".h")) {
                    assertTrue(Reference.has("second." + c.key() + part + i), "make_expected.py wrote no second." + c.key() + part + i);
                }
            }
        }
    }

    private static Tensor grad(Tensor out, Tensor x) {
        return Autograd.grad(List.of(out), List.of(x), null, true, true).get(0);
    }

    private static void assertArrays(double[] expected, Tensor actual) {
        double[] a = actual.toDoubleArray();
        assertEquals(expected.length, a.length);
        for (int i = 0; i < a.length; i++) {
            assertEquals(expected[i], a[i], 1e-12 * (1 + Math.abs(expected[i])), "element " + i + " of " + actual);
        }
    }
}
