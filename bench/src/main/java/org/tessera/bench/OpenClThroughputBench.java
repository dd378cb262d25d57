package org.tessera.bench;

import org.tessera.bench.suite.ClPeer;

import static org.jocl.CL.*;

import java.util.concurrent.TimeUnit;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.tessera.Device;
import org.tessera.Rng;
import org.tessera.Tensor;

/**
 * Two questions about the OpenCL backend's launch path, on "opencl:0":
 * <ul>
 *   <li>{@code add64M}: is F32 add of 64M elements bandwidth-bound? GB/s = 3 x 256 MiB / time; compare with
 *       {@code clpeak --global-bandwidth} on the same device.</li>
 *   <li>{@code queued1000Adds} against {@code bareEnqueue1000}: the cost per op of 1,000 small adds queued
 *       without waiting, against a bare JOCL loop enqueueing 1,000 trivial kernels (times are per op).</li>
 * </ul>
 * <pre>  java -jar bench/target/tessera-bench.jar OpenClThroughputBench</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class OpenClThroughputBench {
    static final int BIG = 64 << 20;
    private Device device;
    private Tensor x, y, small1, small2;
    private ClPeer peer;
    private cl_program program;
    private cl_kernel kernel;
    private cl_mem buf;

    @Setup
    public void setUp() {
        device = Device.of("opencl:0");
        x = Tensor.rand(device, new Rng(1), BIG);
        y = Tensor.rand(device, new Rng(2), BIG);
        small1 = Tensor.rand(device, new Rng(3), 16);
        small2 = Tensor.rand(device, new Rng(4), 16);
        peer = new ClPeer();
        program = clCreateProgramWithSource(peer.context, 1,
                new String[] {"__kernel void inc(__global float* x) { x[get_global_id(0)] += 1; }"}, null, null);
        clBuildProgram(program, 0, null, null, null, null);
        kernel = clCreateKernel(program, "inc", null);
        buf = clCreateBuffer(peer.context, CL_MEM_READ_WRITE, 64 * Sizeof.cl_float, null, null);
        clSetKernelArg(kernel, 0, Sizeof.cl_mem, Pointer.to(buf));
    }

    @TearDown
    public void tearDown() {
        clReleaseKernel(kernel);
        clReleaseProgram(program);
        clReleaseMemObject(buf);
        peer.close();
    }

    @Benchmark
    public Tensor add64M() {
        Tensor z = x.add(y);
        device.synchronize();
        z.close();
        return z;
    }

    @Benchmark
    @OperationsPerInvocation(1000)
    public Tensor queued1000Adds() {
        Tensor last = null;
        for (int i = 0; i < 1000; i++) {
            if (last != null) last.close();
            last = small1.add(small2);
        }
        device.synchronize();
        return last;
    }

    @Benchmark
    @OperationsPerInvocation(1000)
    public Object bareEnqueue1000() {
        long[] global = {16}, local = {16};
        for (int i = 0; i < 1000; i++) clEnqueueNDRangeKernel(peer.queue, kernel, 1, null, global, local, 0, null, null);
        clFinish(peer.queue);
        return buf;
    }
}
