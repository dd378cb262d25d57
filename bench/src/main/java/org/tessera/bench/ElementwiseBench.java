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
 * Is tanh memory-bound? {@code tanh} on 16M floats (2 threads, a fresh output tensor each call) against a
 * plain Java loop copying 16M floats between two preallocated arrays: the bandwidth yardstick. Bandwidth =
 * 2 x 64 MiB / time for both.
 * <pre>  java --add-modules jdk.incubator.vector -jar bench/target/tessera-bench.jar ElementwiseBench</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ElementwiseBench {
    static final int N = 16 << 20;
    /** "cpu" uses every core; -p device=cpu:1 for one thread */
    @Param({"cpu"})
    public String device;

    private Tensor x;
    private float[] src, dst;

    @Setup
    public void setUp() {
        x = Tensor.rand(Device.of(device), new Rng(1), N);
        src = x.toFloatArray();
        dst = new float[N];
    }

    @Benchmark
    public Tensor tanh16M() {
        Tensor y = x.tanh();
        y.close();
        return y;
    }

    @Benchmark
    public float[] copyLoop16M() {
        float[] s = src, d = dst;
        for (int i = 0; i < s.length; i++) d[i] = s[i];
        return d;
    }
}
