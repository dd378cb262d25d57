package org.tessera.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.tessera.tests.Assertions2.assertClose;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;

/**
 * Every kernel kind at sizes that straddle vector widths, tiles and work-groups (1, 15, 16, 17, 255, 257,
 * 1000) and at 0: each device in F32 against the CPU in F64, forward and backward.
 */
class EdgeSizesTest {
    static final int[] SIZES = {0, 1, 15, 16, 17, 255, 257, 1000};

    static List<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        for (Device d : Devices.all().toList()) for (int n : SIZES) if (n <= Devices.MAX_SIZE) out.add(new Object[] {d, n});
        return out;
    }

    /** f on the device in F32 and on the CPU in F64 from the same values; outputs and input gradients agree. */
    private static void agree(Device d, String what, Function<Tensor, Tensor> f, double tol, int... shape) {
        Tensor ref = Tensor.rand(Device.cpu(), DType.F64, new Rng(shape.length * 31L + Tensor.zeros(shape).numel()), shape)
                .mul(4).sub(2).requiresGrad(true);
        Tensor dev = ref.detach().to(DType.F32).to(d).requiresGrad(true);
        Tensor yRef = f.apply(ref), yDev = f.apply(dev);
        assertArrayEquals(yRef.shape(), yDev.shape(), what + ": shape");
        assertClose(yRef.toDoubleArray(), yDev.toDoubleArray(), tol, what + " forward " + java.util.Arrays.toString(shape));
        if (yRef.numel() == 0 || !yRef.requiresGrad()) return;
        yRef.sum().backward();
        yDev.sum().backward();
        assertClose(ref.grad().toDoubleArray(), dev.grad().toDoubleArray(), tol, what + " backward " + java.util.Arrays.toString(shape));
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("cases")
    void elementwiseReductionsAndRowOps(Device d, int n) {
        agree(d, "tanh", Tensor::tanh, 1e-5, n);
        agree(d, "sigmoid of a transposed view", t -> t.t().sigmoid(), 1e-5, 3, n);
        agree(d, "broadcast mul", t -> t.mul(t.sum(0, true)), 1e-4, n, 3);
        agree(d, "sum", Tensor::sum, 1e-4, n);
        agree(d, "sum over rows", t -> t.sum(1, false), 1e-4, 3, n);
        agree(d, "mean over columns", t -> t.mean(0, false), 1e-5, n, 5);
        if (n > 0) {
            agree(d, "max", Tensor::max, 1e-6, n);
            agree(d, "max over rows", t -> t.max(1, false), 1e-6, 2, n);
            agree(d, "min", Tensor::min, 1e-6, n);
            agree(d, "min over columns", t -> t.min(0, false), 1e-6, n, 3);
            agree(d, "softmax", t -> t.softmax(1).mul(t), 1e-5, 2, n);
            agree(d, "logSoftmax along dim 0", t -> t.logSoftmax(0), 1e-5, n, 2);
            Tensor x = Tensor.rand(d, new Rng(3), 2, n);
            int[] arg = x.argmax(1).toIntArray();
            assertArrayEquals(x.to(Device.cpu()).argmax(1).toIntArray(), arg, "argmax n=" + n);
            assertArrayEquals(x.to(Device.cpu()).argmin(1).toIntArray(), x.argmin(1).toIntArray(), "argmin n=" + n);
        }
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("cases")
    void matmulAtTileEdges(Device d, int n) {
        agree(d, "[n,5]x[5,3]", t -> t.matmul(Tensor.ones(t.device(), t.dtype(), 5, 3)), 1e-4, n, 5);
        agree(d, "[3,n]x[n,4] (K = n)", t -> t.matmul(Tensor.ones(t.device(), t.dtype(), n, 4).mul(0.5)), 1e-4, 3, n);
        agree(d, "[n,7]^T x [n,6] (transposed A)", t -> t.t().matmul(t.narrow(1, 0, 6)), 1e-3, n, 7);
        agree(d, "batched [2,n,3]x[3,n]", t -> t.matmul(t.narrow(0, 0, 1).reshape(n, 3).t()), 1e-3, 2, n, 3);
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("cases")
    void gatherCatAndRandomStreams(Device d, int n) {
        int[] idx = new int[2 * n];
        for (int i = 0; i < idx.length; i++) idx[i] = (i * 7) % Math.max(1, n);
        if (n > 0) {
            Tensor index = Tensor.of(d, idx, 2, n);
            Tensor indexCpu = Tensor.of(Device.cpu(), idx, 2, n);
            Tensor ref = Tensor.rand(Device.cpu(), DType.F64, new Rng(9), 2, n).requiresGrad(true);
            Tensor dev = ref.detach().to(DType.F32).to(d).requiresGrad(true);
            Tensor yr = ref.gather(1, indexCpu), yd = dev.gather(1, index);
            assertClose(yr.toDoubleArray(), yd.toDoubleArray(), 1e-6, "gather");
            yr.sum().backward();
            yd.sum().backward();
            assertClose(ref.grad().toDoubleArray(), dev.grad().toDoubleArray(), 1e-6, "gather backward (scatter-add)");
        }
        agree(d, "cat", t -> Tensor.cat(List.of(t, t.mul(2)), 0).tanh(), 1e-5, n, 2);
        // the same seed draws the same numbers on every device
        assertArrayEquals(Tensor.rand(Device.cpu(), new Rng(5), n).toFloatArray(), Tensor.rand(d, new Rng(5), n).toFloatArray());
        assertClose(Tensor.randn(Device.cpu(), new Rng(6), n).toDoubleArray(), Tensor.randn(d, new Rng(6), n).toDoubleArray(), 1e-6,
                "normal stream");
    }
}
