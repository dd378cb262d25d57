package org.tessera.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;

/**
 * How fast is the CPU backend's SGEMM? Square F32 products on 1 and 2 threads; GFLOP/s = 2n^3 / time.
 * Compare with OpenBLAS through {@code bench/gemm-vs-numpy.sh}, which runs this and the NumPy peer in one go.
 * <pre>
 *   java --add-modules jdk.incubator.vector -jar bench/target/tessera-bench.jar GemmBench
 *   java -jar bench/target/tessera-bench.jar GemmBench        # portable kernel (no Vector API)
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GemmBench {
    @Param({"256", "512", "1024", "2048"})
    public int n;

    @Param({"cpu:1", "cpu:2"})
    public String device;

    private Tensor a, b;

    @Setup(Level.Trial)
    public void setUp() {
        Device d = Device.of(device);
        a = Tensor.rand(d, new Rng(1), n, n);
        b = Tensor.rand(d, new Rng(2), n, n);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
    }

    @Benchmark
    public float sgemm() {
        try (Tensor c = a.matmul(b)) {
            return c.dim();
        }
    }
}
