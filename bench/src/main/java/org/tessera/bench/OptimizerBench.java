package org.tessera.bench;

import java.util.List;
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
import org.tessera.optim.Adam;

/**
 * Is the fused Adam step memory-bound? One Adam step over 4M F32 parameters (one kernel: reads p, g, m, v and
 * writes p, m, v = 7 x 16 MiB) on each device; bandwidth = 112 MiB / time, to set beside a plain copy
 * (ElementwiseBench) or clpeak. The device synchronises each call, so queued work is timed.
 * <pre>  java --add-modules jdk.incubator.vector -jar bench/target/tessera-bench.jar OptimizerBench</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class OptimizerBench {
    static final int N = 4 << 20;

    @Param({"cpu", "opencl"})
    public String device;

    private Device d;
    private Tensor w;
    private Adam adam;

    @Setup(Level.Trial)
    public void setUp() {
        d = Device.of(device);
        w = Tensor.rand(d, new Rng(1), N).requiresGrad(true);
        w.sum().backward();                        // a gradient of ones
        adam = new Adam(List.of(w), 1e-3);
        adam.step();                               // creates the state and builds the program outside the timing
        d.synchronize();
    }

    @Benchmark
    public Tensor adamStep4M() {
        adam.step();
        d.synchronize();
        return w;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        adam.close();
        w.close();
    }
}
