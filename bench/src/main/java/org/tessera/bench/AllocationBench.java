package org.tessera.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;

/**
 * Does reusing buffers pay? {@code relu} (cheap, so allocation shows) of a closed-after-use output, at
 * 64K..16M floats. Run twice, with the CPU buffer pool on (default) and off, and compare:
 * <pre>
 *   java --add-modules jdk.incubator.vector -jar bench/target/tessera-bench.jar AllocationBench
 *   java --add-modules jdk.incubator.vector -Dtessera.cpu.pool=off -jar bench/target/tessera-bench.jar AllocationBench
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AllocationBench {
    @Param({"65536", "1048576", "16777216"})
    public int n;

    /** "cpu" uses every core; -p device=cpu:1 for one thread */
    @Param({"cpu"})
    public String device;

    private Tensor x;

    @Setup
    public void setUp() {
        x = Tensor.rand(Device.of(device), new Rng(1), n);
    }

    @Benchmark
    public Tensor reluOfFreshOutput() {
        Tensor y = x.relu();
        y.close();
        return y;
    }
}
