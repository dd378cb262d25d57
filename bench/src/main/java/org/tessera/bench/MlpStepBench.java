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
import org.tessera.bench.suite.Suites;

/**
 * How long does one whole MLP training step take on each device? The three configurations of `tessera bench`
 * (Suites.Mlp): seed 784-200-1 (ReLU, batch 1000, MSE, SGD), small 64-256-256-1 (tanh, batch 64: dispatch-bound)
 * and large 784-2048-2048-2048-10 (ReLU, batch 512, cross-entropy, Adam). Model, data and programs are made in
 * the setup; each call is zero-grad, forward, loss, backward, optimiser step, then a device synchronise.
 * <pre>  java --add-modules jdk.incubator.vector -jar bench/target/tessera-bench.jar MlpStepBench</pre>
 * Peer: bench/peers/peer.py torch (the same steps in PyTorch), or `tessera bench --peers`.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class MlpStepBench {
    @Param({"SEED", "SMALL", "LARGE"})
    public String config;

    @Param({"cpu", "opencl"})
    public String device;

    private Device d;
    private Suites.Step step;

    @Setup(Level.Trial)
    public void setUp() {
        d = Device.of(device);
        step = Suites.Mlp.valueOf(config).prepare(d);
        step.run();
        d.synchronize();
    }

    @Benchmark
    public Suites.Step trainingStep() {
        step.run();
        d.synchronize();
        return step;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        step.close();
    }
}
