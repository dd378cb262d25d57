package org.tessera.tests;

import static org.tessera.tests.Assertions2.assertClose;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.conformance.Conformance;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;

/**
 * Every elementwise op at a size that exercises what small tensors cannot: whole SIMD vectors plus a ragged
 * tail, and a split over threads with uneven pieces (181 x 199 = 36,019 elements). F32 on each device is
 * compared with F64 on the CPU as the reference, forward and backward.
 */
class LargeTensorConformanceTest {
    static final int ROWS = 181, COLS = 199;

    static List<Object[]> unaryCases() {
        return Devices.crossedWith(Conformance.UNARY);
    }

    static List<Object[]> binaryCases() {
        return Devices.crossedWith(Conformance.BINARY);
    }

    /** Inputs in the op's domain: (-3, 3), or (0.1, 3.1) for ops defined on positives. */
    private static Tensor input(String kind, long seed) {
        Tensor u = Tensor.rand(Device.cpu(), DType.F64, new Rng(seed), ROWS, COLS);
        return kind.equals("xpos") ? u.mul(3).add(0.1) : u.mul(6).sub(3);
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("unaryCases")
    void unaryF32MatchesF64(Device d, Conformance.UnaryCase c) {
        Tensor x64 = input(c.input(), 1).requiresGrad(true);
        Tensor g64 = input("x", 2);
        Tensor y64 = c.f().apply(x64);
        y64.backward(g64);

        Tensor x32 = x64.detach().to(DType.F32).to(d).requiresGrad(true);
        Tensor y32 = c.f().apply(x32);
        y32.backward(g64.to(DType.F32).to(d));
        assertClose(y64.toDoubleArray(), y32.toDoubleArray(), 1e-5, c + " forward");
        assertClose(x64.grad().toDoubleArray(), x32.grad().toDoubleArray(), 1e-5, c + " backward");
    }

    @ParameterizedTest(name = "{1} {0}")
    @MethodSource("binaryCases")
    void binaryF32MatchesF64(Device d, Conformance.BinaryCase c) {
        Tensor a64 = input("x", 3).requiresGrad(true);
        Tensor b64 = input("xpos", 4).requiresGrad(true);       // positive: a safe divisor
        Tensor row64 = input("xpos", 5).narrow(0, 0, 1).detach().requiresGrad(true);
        Tensor g64 = input("x", 6);
        Tensor y64 = c.f().apply(a64, b64).add(c.f().apply(a64, row64));   // dense, and broadcast over rows
        y64.backward(g64);

        Tensor a32 = a64.detach().to(DType.F32).to(d).requiresGrad(true);
        Tensor b32 = b64.detach().to(DType.F32).to(d).requiresGrad(true);
        Tensor row32 = row64.detach().to(DType.F32).to(d).requiresGrad(true);
        Tensor y32 = c.f().apply(a32, b32).add(c.f().apply(a32, row32));
        y32.backward(g64.to(DType.F32).to(d));
        assertClose(y64.toDoubleArray(), y32.toDoubleArray(), 1e-5, c + " forward");
        assertClose(a64.grad().toDoubleArray(), a32.grad().toDoubleArray(), 1e-5, c + " da");
        assertClose(b64.grad().toDoubleArray(), b32.grad().toDoubleArray(), 1e-5, c + " db");
        assertClose(row64.grad().toDoubleArray(), row32.grad().toDoubleArray(), 1e-4, c + " d(row), summed over 181 rows");
    }

    @ParameterizedTest
    @MethodSource("org.tessera.tests.Devices#all")
    void reductionsAndSoftmaxF32MatchF64(Device d) {
        Tensor x64 = input("x", 7);
        Tensor x32 = x64.to(DType.F32).to(d);
        assertClose(x64.sum().toDoubleArray(), x32.sum().toDoubleArray(), 1e-5, "sum");
        assertClose(x64.sum(0, false).toDoubleArray(), x32.sum(0, false).toDoubleArray(), 1e-5, "sum(0)");
        assertClose(x64.mean(1, false).toDoubleArray(), x32.mean(1, false).toDoubleArray(), 1e-5, "mean(1)");
        assertClose(x64.max(0, false).toDoubleArray(), x32.max(0, false).toDoubleArray(), 1e-7, "max(0): F32 rounding only");
        assertClose(x64.softmax(1).toDoubleArray(), x32.softmax(1).toDoubleArray(), 1e-5, "softmax(1)");
        assertClose(x64.logSoftmax(0).toDoubleArray(), x32.logSoftmax(0).toDoubleArray(), 1e-5, "logSoftmax(0)");
        Tensor big64 = Tensor.rand(Device.cpu(), DType.F64, new Rng(8), 1 << 20);   // one long row: split within the row
        assertClose(big64.sum().toDoubleArray(), big64.to(DType.F32).to(d).sum().toDoubleArray(), 1e-5, "sum of 1M");
        // many outputs over a leading dim (bias gradients): the column paths of both backends
        Tensor wide64 = Tensor.rand(Device.cpu(), DType.F64, new Rng(10), 300, 700).sub(0.5);
        Tensor wide32 = wide64.to(DType.F32).to(d);
        assertClose(wide64.sum(0, false).toDoubleArray(), wide32.sum(0, false).toDoubleArray(), 1e-5, "column sums");
        assertClose(wide64.mean(0, true).toDoubleArray(), wide32.mean(0, true).toDoubleArray(), 1e-5, "column means");
        Tensor cube64 = Tensor.rand(Device.cpu(), DType.F64, new Rng(11), 4, 50, 600);
        assertClose(cube64.sum(0, false).toDoubleArray(), cube64.to(DType.F32).to(d).sum(0, false).toDoubleArray(), 1e-5, "sum over dim 0 of 3-D");
        assertClose(cube64.sum(1, false).toDoubleArray(), cube64.to(DType.F32).to(d).sum(1, false).toDoubleArray(), 1e-5, "sum over dim 1 of 3-D");
        Tensor bias = Tensor.zeros(d, 700).requiresGrad(true);                 // the bias-gradient case itself
        wide32.add(bias).sum().backward();
        assertClose(new double[] {300}, new double[] {bias.grad().toDoubleArray()[123]}, 1e-6, "bias gradient");
        // long rows are reduced in chunks (two passes on OpenCL): the first maximum must still win across chunks
        float[] v = Tensor.rand(Device.cpu(), new Rng(9), 2, 1 << 19).toFloatArray();
        v[300_000] = 2;
        v[400_000] = 2;                                   // a tie in a later chunk
        v[(1 << 19) + 7] = 3;
        Tensor rows = Tensor.of(d, v, 2, 1 << 19);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {300_000, 7}, rows.argmax(1).toIntArray());
        assertClose(new double[] {2, 3}, rows.max(1, false).toDoubleArray(), 0, "max of long rows");
        assertClose(new double[] {3}, rows.max().toDoubleArray(), 0, "max of everything");
        Tensor negated = rows.neg();                      // the same rows through the minimum kernels
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {300_000, 7}, negated.argmin(1).toIntArray());
        assertClose(new double[] {-2, -3}, negated.min(1, false).toDoubleArray(), 0, "min of long rows");
        assertClose(new double[] {-3}, negated.min().toDoubleArray(), 0, "min of everything");
        assertClose(new double[] {Tensor.of(Device.cpu(), v, 2, 1 << 19).mean().item()}, rows.mean().toDoubleArray(), 1e-6, "mean of 1M");
    }
}
