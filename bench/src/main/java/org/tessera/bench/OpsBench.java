package org.tessera.bench;

import java.util.ArrayList;
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
import org.tessera.bench.suite.BenchCase;
import org.tessera.bench.suite.Suites;

/**
 * Is the OpenCL device worth it for this op at this size? Any case of `tessera bench`'s suites (Suites.full(),
 * named by its key: "gemm 1024", "add 16777216", "sum rows 4194304", "sum columns 4194304",
 * "softmax+cross-entropy 4096x100", "adam update 1048576", "gemm (MLP layers) 512x2048x2048", ...) timed by JMH on
 * each device, the device synchronised per call. Inputs and programs are made in the setup.
 * <pre>  java --add-modules jdk.incubator.vector -jar bench/target/tessera-bench.jar OpsBench -p op="gemm 2048"</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class OpsBench {
    @Param({"gemm 1024", "gemm (MLP layers) 512x784x2048", "add 16777216", "sum rows 4194304", "sum columns 4194304",
        "softmax+cross-entropy 4096x100", "adam update 1048576"})
    public String op;

    @Param({"cpu", "opencl"})
    public String device;

    private Device d;
    private BenchCase.Body body;

    @Setup(Level.Trial)
    public void setUp() {
        d = Device.of(device);
        List<BenchCase> all = new ArrayList<>(Suites.full());
        all.addAll(Suites.quick());
        BenchCase c = all.stream().filter(x -> x.key().equals(op)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no case '" + op + "' in Suites (keys: op + ' ' + size label)"));
        body = c.setup().on(d);
        body.run();
        d.synchronize();
    }

    @Benchmark
    public BenchCase.Body run() {
        body.run();
        d.synchronize();
        return body;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        body.close();
    }
}
