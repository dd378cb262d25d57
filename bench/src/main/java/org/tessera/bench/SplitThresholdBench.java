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
 * From what size does splitting an elementwise op over threads pay? {@code a.mul(b)} (F32) on 1 thread
 * against 2 threads with the split forced at every size ({@code -Dtessera.cpu.grain=1024}); the crossover sets
 * {@code CpuBackend.ELEMENTWISE_GRAIN}.
 * <pre>  java --add-modules jdk.incubator.vector -Dtessera.cpu.grain=1024 -jar bench/target/tessera-bench.jar SplitThresholdBench</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SplitThresholdBench {
    @Param({"16384", "65536", "131072", "262144", "1048576"})
    public int n;

    @Param({"cpu:1", "cpu:2"})
    public String device;

    private Tensor a, b;

    @Setup
    public void setUp() {
        Device d = Device.of(device);
        a = Tensor.rand(d, new Rng(1), n);
        b = Tensor.rand(d, new Rng(2), n);
    }

    @Benchmark
    public Tensor mul() {
        Tensor c = a.mul(b);
        c.close();
        return c;
    }
}
