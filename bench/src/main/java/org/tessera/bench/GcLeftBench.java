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
 * Does a user who never closes anything pay for it? The same product in a loop, once closing each result
 * ({@code closed}) and once dropping it for the garbage collector ({@code leftToGc}, the natural Java habit).
 * Issue 11 asks the two to be within 10%. Both methods in one fork, so they share the machine's mood.
 * <pre>
 *   java --add-modules jdk.incubator.vector -jar bench/target/tessera-bench.jar GcLeftBench
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GcLeftBench {
    @Param({"256", "1024"})
    public int n;

    private Tensor a, b;

    @Setup(Level.Trial)
    public void setUp() {
        Device d = Device.of("cpu");
        a = Tensor.rand(d, new Rng(1), n, n);
        b = Tensor.rand(d, new Rng(2), n, n);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
    }

    @Benchmark
    public int closed() {
        try (Tensor c = a.matmul(b)) {
            return c.dim();
        }
    }

    @Benchmark
    public int leftToGc() {
        return a.matmul(b).dim();
    }
}
