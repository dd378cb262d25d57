package org.tessera.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;

/**
 * What does one op cost when the data is tiny? {@code a.add(b)} on 16 floats with grad off, and a whole
 * forward + backward {@code (a*b).sum().backward()} on 16 floats: the Java-side overhead of Tessera's op path
 * (checks, allocation, recording). PyTorch eager on the same machine: ~2.7 us and ~57 us.
 * <pre>  java -jar bench/target/tessera-bench.jar DispatchBench</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DispatchBench {
    private Tensor a, b, w;

    @Setup
    public void setUp() {
        Device d = Device.cpu();
        a = Tensor.rand(d, new Rng(1), 16);
        b = Tensor.rand(d, new Rng(2), 16);
        w = Tensor.rand(d, new Rng(3), 16).requiresGrad(true);
    }

    @Benchmark
    public Tensor add16() {
        Tensor c = a.add(b);
        c.close();
        return c;
    }

    @Benchmark
    public Tensor mulSumBackward16() {
        Tensor loss = w.mul(b).sum();
        loss.backward();
        loss.close();
        w.zeroGrad();
        return loss;
    }
}
