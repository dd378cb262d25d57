package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tessera.tests.Assertions2.assertClose;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;
import org.tessera.autograd.Autograd;

/** The backpropagation examples of the classic lectures, with their published numbers. */
class WorkedExamplesTest {

    private static Tensor leaf(Device d, DType t, double... v) {
        return Tensor.of(d, v).to(t).requiresGrad(true);
    }

    private static Tensor scalar(Device d, DType t, double v) {
        return Tensor.of(d, new double[] {v}).to(t).reshape().detach().requiresGrad(true);
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void cubicOfSum(Device d, DType t) {
        // f(x, y) = x (x + y)^2 at x = 3, y = -1
        Tensor x = scalar(d, t, 3), y = scalar(d, t, -1);
        Tensor f = x.mul(x.add(y).pow(2));
        f.backward();
        assertEquals(12, f.item(), 1e-6);
        assertEquals(16, x.grad().item(), 1e-6);
        assertEquals(12, y.grad().item(), 1e-6);
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void euclideanNorm(Device d, DType t) {
        Tensor x = leaf(d, t, 1, 2, 2);
        Tensor l = x.norm();
        l.backward();
        assertEquals(3, l.item(), 1e-6);
        assertClose(new double[] {1 / 3.0, 2 / 3.0, 2 / 3.0}, x.grad(), Assertions2.tol(t));
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void sigmoidNeuron(Device d, DType t) {
        Tensor w0 = scalar(d, t, 2), x0 = scalar(d, t, -1), w1 = scalar(d, t, -3), x1 = scalar(d, t, -2), w2 = scalar(d, t, -3);
        Tensor l = w0.mul(x0).add(w1.mul(x1)).add(w2).sigmoid();
        l.backward();
        assertEquals(0.7310586, l.item(), 1e-7);
        assertEquals(-0.1966119, w0.grad().item(), 1e-7);
        assertEquals(0.3932239, x0.grad().item(), 1e-7);
        assertEquals(-0.3932239, w1.grad().item(), 1e-7);
        assertEquals(-0.5898358, x1.grad().item(), 1e-7);
        assertEquals(0.1966119, w2.grad().item(), 1e-7);
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void matrixProductWithUpstreamGradient(Device d, DType t) {
        Tensor x = Tensor.of(d, new double[] {2, 1, -3, -3, 4, 2}, 2, 3).to(t).requiresGrad(true);
        Tensor w = Tensor.of(d, new double[] {3, 2, 1, -1, 2, 1, 3, 2, 3, 2, 1, -2}, 3, 4).to(t).requiresGrad(true);
        Tensor y = x.matmul(w);
        y.backward(Tensor.of(d, new double[] {2, 3, -3, 9, -8, 1, 4, 6}, 2, 4).to(t));
        assertClose(new double[] {-1, -1, 2, 6, 5, 2, 11, 7}, y, 0);
        assertClose(new double[] {0, 16, -9, -24, 9, -30}, x.grad(), 0);
        assertClose(new double[] {28, 3, -18, 0, -30, 7, 13, 33, -22, -7, 17, -15}, w.grad(), 0);
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#withFloatDtypes")
    void weightSharingDag(Device d, DType t) {
        // x1 = w1 x0, x2 = x0 + w2 x1, x3 = w1 (x1 + x2), q = ||x3||: w1 is used twice, its gradients sum
        Tensor w1 = Expected.tensor("dag.w1", d, t).requiresGrad(true);
        Tensor w2 = Expected.tensor("dag.w2", d, t).requiresGrad(true);
        Tensor x0 = Expected.tensor("dag.x0", d, t);
        Tensor x1 = w1.matmul(x0);
        Tensor x2 = x0.add(w2.matmul(x1));
        Tensor x3 = w1.matmul(x1.add(x2));
        Tensor q = x3.norm();
        q.backward();
        assertClose("dag.q", q);
        assertClose("dag.dw1", w1.grad());
        assertClose("dag.dw2", w2.grad());
    }

    /**
     * The "2-layer network in 20 lines": N=64, D_in=1000, H=100, D_out=10, sigmoid hidden layer, summed
     * squared loss. Autograd's gradients equal the hand-written backward pass, and SGD lowers the loss.
     */
    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void twoLayerNetwork(Device d) {
        int n = 64, dIn = 1000, h = 100, dOut = 10;
        Rng rng = new Rng(0);
        Tensor x = Tensor.randn(d, DType.F64, rng, n, dIn);
        Tensor y = Tensor.randn(d, DType.F64, rng, n, dOut);
        Tensor w1 = Tensor.randn(d, DType.F64, rng, dIn, h).mul(0.01).requiresGrad(true);
        Tensor w2 = Tensor.randn(d, DType.F64, rng, h, dOut).mul(0.1).requiresGrad(true);

        Tensor hidden = x.matmul(w1).sigmoid();
        Tensor yPred = hidden.matmul(w2);
        Tensor loss = yPred.sub(y).pow(2).sum();
        loss.backward();
        try (var off = Autograd.noGrad()) {
            Tensor gradYPred = yPred.sub(y).mul(2);
            Tensor gradW2 = hidden.t().matmul(gradYPred);
            Tensor gradH = gradYPred.matmul(w2.t());
            Tensor gradW1 = x.t().matmul(gradH.mul(hidden).mul(hidden.neg().add(1)));
            assertClose(gradW2.toDoubleArray(), w2.grad(), 1e-10);
            assertClose(gradW1.toDoubleArray(), w1.grad(), 1e-10);
        }

        double first = loss.item(), last = first;
        double lr = 1e-4;
        for (int step = 0; step < 200; step++) {
            w1.zeroGrad();
            w2.zeroGrad();
            Tensor l = x.matmul(w1).sigmoid().matmul(w2).sub(y).pow(2).sum();
            l.backward();
            try (var off = Autograd.noGrad()) {
                w1.subi(w1.grad().mul(lr));
                w2.subi(w2.grad().mul(lr));
            }
            last = l.item();
        }
        assertTrue(last < 0.5 * first, "200 SGD steps should at least halve the loss: " + first + " -> " + last);
    }
}
