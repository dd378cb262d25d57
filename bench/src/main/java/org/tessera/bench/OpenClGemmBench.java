package org.tessera.bench;

import org.tessera.bench.suite.ClPeer;

import static org.jocl.CL.*;

import java.util.concurrent.TimeUnit;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.blast.CLBlast;
import org.jocl.blast.CLBlastLayout;
import org.jocl.blast.CLBlastTranspose;
import org.jocl.cl_mem;
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
 * How does Tessera's OpenCL SGEMM compare with CLBlast on the same device, in the same JVM? Square F32
 * products, time to completion (the queue is drained each call); GFLOP/s = 2n^3 / time.
 * <pre>  java -jar bench/target/tessera-bench.jar OpenClGemmBench</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(1)
public class OpenClGemmBench {
    @Param({"256", "512", "1024", "2048"})
    public int n;

    @Param({"tessera", "clblast"})
    public String impl;

    private Device device;
    private Tensor a, b;
    private ClPeer peer;
    private cl_mem ma, mb, mc;

    @Setup(Level.Trial)
    public void setUp() {
        if (impl.equals("tessera")) {
            device = Device.of("opencl:0");
            a = Tensor.rand(device, new Rng(1), n, n);
            b = Tensor.rand(device, new Rng(2), n, n);
            return;
        }
        CLBlast.setExceptionsEnabled(true);
        peer = new ClPeer();
        float[] host = Tensor.rand(Device.cpu(), new Rng(1), n, n).toFloatArray();
        long bytes = (long) n * n * Sizeof.cl_float;
        ma = clCreateBuffer(peer.context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, bytes, Pointer.to(host), null);
        mb = clCreateBuffer(peer.context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, bytes, Pointer.to(host), null);
        mc = clCreateBuffer(peer.context, CL_MEM_READ_WRITE, bytes, null, null);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (peer == null) return;
        clReleaseMemObject(ma);
        clReleaseMemObject(mb);
        clReleaseMemObject(mc);
        peer.close();
    }

    @Benchmark
    public Object sgemm() {
        if (peer == null) {
            Tensor c = a.matmul(b);
            device.synchronize();
            c.close();
            return c;
        }
        CLBlast.CLBlastSgemm(CLBlastLayout.CLBlastLayoutRowMajor, CLBlastTranspose.CLBlastTransposeNo,
                CLBlastTranspose.CLBlastTransposeNo, n, n, n, 1f, ma, 0, n, mb, 0, n, 0f, mc, 0, n, peer.queue, null);
        clFinish(peer.queue);
        return mc;
    }
}
