package org.tessera.opencl;

import java.util.Arrays;
import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;

/**
 * A measuring tool, not a test: the first n x n product of a fresh process on the OpenCL device (program load, tuning
 * cache lookup or search) and the median of the next {@code reps}. Run one JVM per measurement:
 * {@code java -cp cli/target/tessera.jar:backend-opencl/target/test-classes org.tessera.opencl.FirstGemm 1024 31}
 */
public final class FirstGemm {
    private FirstGemm() {}

    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]), reps = args.length > 1 ? Integer.parseInt(args[1]) : 31;
        Device d = Device.of("opencl");
        Tensor a = Tensor.randn(d, DType.F32, new Rng(1), n, n), b = Tensor.randn(d, DType.F32, new Rng(2), n, n);
        d.synchronize();
        long t0 = System.nanoTime();
        a.matmul(b).close();
        d.synchronize();
        double first = (System.nanoTime() - t0) / 1e6;
        double[] r = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t = System.nanoTime();
            a.matmul(b).close();
            d.synchronize();
            r[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(r);
        System.out.printf("n=%d first GEMM %.1f ms, steady median %.1f ms (%d products), ratio %.2f%n", n, first, r[reps / 2], reps,
                first / r[reps / 2]);
    }
}
