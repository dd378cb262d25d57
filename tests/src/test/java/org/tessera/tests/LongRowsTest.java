package org.tessera.tests;

import static org.tessera.tests.Assertions2.assertClose;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;
import org.tessera.nn.Losses;

/**
 * Softmax, log-softmax and cross-entropy on rows long enough (and few enough) for the OpenCL backend's
 * work-group-per-row kernels, forward and backward, against a plain double computation.
 */
class LongRowsTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void softmaxOfLongRows(Device d) {
        for (int[] shape : new int[][] {{6, 5000}, {3000, 5}}) {
            int dim = shape[0] > shape[1] ? 0 : 1;
            int rows = shape[1 - dim], len = shape[dim];
            Tensor x = Tensor.randn(d, DType.F64, new Rng(11), shape).mul(3).requiresGrad(true);
            Tensor g = Tensor.randn(d, DType.F64, new Rng(12), shape);
            double[] xv = x.toDoubleArray(), gv = g.toDoubleArray();
            for (boolean log : new boolean[] {false, true}) {
                double[] y = new double[xv.length], dx = new double[xv.length];
                for (int r = 0; r < rows; r++) {
                    double m = Double.NEGATIVE_INFINITY, s = 0, dot = 0;
                    for (int j = 0; j < len; j++) m = Math.max(m, xv[at(shape, dim, r, j)]);
                    for (int j = 0; j < len; j++) s += Math.exp(xv[at(shape, dim, r, j)] - m);
                    for (int j = 0; j < len; j++) {
                        int i = at(shape, dim, r, j);
                        y[i] = log ? xv[i] - m - Math.log(s) : Math.exp(xv[i] - m) / s;
                        dot += log ? gv[i] : gv[i] * y[i];
                    }
                    for (int j = 0; j < len; j++) {
                        int i = at(shape, dim, r, j);
                        dx[i] = log ? gv[i] - Math.exp(y[i]) * dot : y[i] * (gv[i] - dot);
                    }
                }
                x.zeroGrad();
                Tensor out = log ? x.logSoftmax(dim) : x.softmax(dim);
                out.backward(g);
                assertClose(y, out, 1e-10);
                assertClose(dx, x.grad(), 1e-10);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.tessera.tests.Devices#all")
    void crossEntropyOfLongRows(Device d) {
        int rows = 5, classes = 7000;
        Tensor x = Tensor.randn(d, DType.F64, new Rng(13), rows, classes).mul(2).requiresGrad(true);
        int[] labels = {0, 6999, 123, 4000, 5};
        double[] xv = x.toDoubleArray(), dx = new double[xv.length];
        double loss = 0;
        for (int r = 0; r < rows; r++) {
            double m = Double.NEGATIVE_INFINITY, s = 0;
            for (int j = 0; j < classes; j++) m = Math.max(m, xv[r * classes + j]);
            for (int j = 0; j < classes; j++) s += Math.exp(xv[r * classes + j] - m);
            loss += (m + Math.log(s) - xv[r * classes + labels[r]]) / rows;
            for (int j = 0; j < classes; j++) dx[r * classes + j] = (Math.exp(xv[r * classes + j] - m) / s - (j == labels[r] ? 1 : 0)) / rows;
        }
        Tensor l = Losses.crossEntropy(x, Tensor.of(d, labels, rows));
        l.backward();
        assertClose(new double[] {loss}, l, 1e-10);
        assertClose(dx, x.grad(), 1e-10);
    }

    private static int at(int[] shape, int dim, int row, int j) {
        return dim == 1 ? row * shape[1] + j : j * shape[1] + row;
    }
}
