package org.tessera.opencl;

import static org.jocl.CL.*;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_kernel;
import org.jocl.cl_program;
import org.tessera.DType;
import org.tessera.TesseraException;
import org.tessera.backend.Backend;
import org.tessera.backend.BinaryOp;
import org.tessera.backend.Buffer;
import org.tessera.backend.Coalesced;
import org.tessera.backend.MemoryStats;
import org.tessera.backend.OptimizerStep;
import org.tessera.backend.ReduceOp;
import org.tessera.backend.RowSplit;
import org.tessera.backend.Strided;
import org.tessera.backend.UnaryOp;
import org.tessera.opencl.KernelSource.Program;

/**
 * One OpenCL device: a long-lived context and in-order queue, a program per dtype (built once, cached on
 * disk), pooled buffers. Launches are queued without waiting; only {@link #read} blocks. Kernel objects are
 * shared, so setting their arguments and enqueueing happen under one lock.
 */
final class OpenClBackend implements Backend {
    /** Work-group size of every 1-D kernel: one fixed size, since PoCL compiles a kernel again per local size. */
    static final int LOCAL = 64;
    /**
     * Work-group size of strided elementwise kernels (one element per work-item). Larger groups mean fewer of
     * them, and PoCL pays per work-group (property tessera.opencl.elementwiseLocal).
     */
    static final int ELEMENTWISE_LOCAL = Integer.getInteger("tessera.opencl.elementwiseLocal", 256);
    /** Work-items per reduction work-group (reduce.cl's RLOCAL). */
    static final int RLOCAL = 64;
    static final int MAX_RANK = 8, MAX_OPERANDS = 4;
    /** dense kernels' elements per work-item (elementwise.cl DENSE_VEC) */
    static final int DENSE_VEC = 8;
    /**
     * Elements of a row per work-group in the first pass of a two-pass reduction (property tessera.opencl.reduceChunk;
     * the oclgrind run makes it tiny so its small sizes reach the two-pass kernels).
     */
    static final int CHUNK_ELEMENTS = Integer.getInteger("tessera.opencl.reduceChunk", 1 << 14);
    /** reduce.cl's CTX x CTY work-group of the tiled column sum. */
    static final int COLUMN_TILE_X = 32, COLUMN_TILE_Y = 8;
    /** What reduce_finish makes of the partials: reduce.cl's FINISH_* (the same numbers). */
    private static final int FINISH_SUM = 0, FINISH_MEAN = 1, FINISH_EXTREME = 2, FINISH_INDEX = 3;
    /** transpose's tile edge (elementwise.cl TT) */
    static final int TRANSPOSE_TILE = 16;
    /**
     * The gemm.cl configuration for everything (tests that check one family member), or null: each shape class
     * gets its tuned winner (see {@link #gemmConfig}).
     */
    private final GemmConfig forcedGemm;
    /** The configuration chosen per shape class in this process: tuned, loaded from the tuning cache, or the default. */
    private final Map<GemmClass, GemmConfig> gemmConfigs = new ConcurrentHashMap<>();
    private final Object tuneLock = new Object();
    private final TuneCache tuneCache;
    private final GemmTuner.Mode tuneMode;

    private final ClDevice device;
    private final cl_context context;
    private final cl_command_queue queue;
    private final ProgramCache programs;
    private final ClBufferPool pool;
    /** Kernels by dtype, then by name (or gemm.cl's options); read and built outside the launch lock, see kernel(). */
    private final Map<DType, Map<String, cl_kernel>> kernels = new EnumMap<>(DType.class);
    /** The arguments last set on each kernel: an unchanged one is not set again (each set is a host call). */
    private final Map<cl_kernel, Object[]> lastArgs = new HashMap<>();
    private final Map<String, Long> workGroupLimits = new ConcurrentHashMap<>();
    private final Map<DType, ClBuffer> dummies = new EnumMap<>(DType.class);
    private final Object lock = new Object();
    private volatile boolean closed;
    private final boolean profiling;
    /** Kernels launched with an event while profiling, not yet read back: names and events side by side. */
    private final java.util.List<String> profiledNames = new java.util.ArrayList<>();
    private final java.util.List<org.jocl.cl_event> profiledEvents = new java.util.ArrayList<>();
    /**
     * Outputs from which a sum over leading dims takes the column kernel (default: 4 work-groups' worth per compute
     * unit; property tessera.opencl.columnSumOutputs, set to 1 in the oclgrind run).
     */
    private final int columnSumOutputs;
    /**
     * Column sums as a tiled reduction (several work-items per column) on GPUs, one work-item per column on CPU
     * devices, where each core walks its columns fastest alone (property tessera.opencl.columnSums=tiled|items).
     */
    private final boolean tiledColumnSums;
    /**
     * Row length from which softmax, log-softmax and cross-entropy take one work-group per row (the *_rows kernels)
     * instead of one work-item: 32 on a GPU (thousands of rows of class scores are too few work-items for it), 4096
     * on a CPU device, whose cores each walk a short row fastest alone (property tessera.opencl.rowGroupMin; the
     * oclgrind run sets 1 so its small cases reach the group kernels).
     */
    private final int rowGroupMin;

    OpenClBackend(ClDevice device) {
        this(device, GemmConfig.forced(), ClBufferPool.configuredLimit());
    }

    /** A backend whose every GEMM runs {@code gemm} (null: tuned per shape class) within a device-memory cap. */
    OpenClBackend(ClDevice device, GemmConfig gemm, long memoryLimit) {
        this.device = device;
        this.forcedGemm = gemm;
        this.tuneMode = GemmTuner.Mode.configured();
        this.tuneCache = new TuneCache(device, KernelSource.source(DType.F32, Program.GEMM, device.fp64()));
        this.context = clCreateContext(null, 1, new org.jocl.cl_device_id[] {device.id()}, null, null, null);
        // with the profiler on at start-up, kernels are timed on the device (event timestamps)
        this.profiling = org.tessera.profile.Profiler.enabled();
        this.queue = clCreateCommandQueue(context, device.id(), profiling ? CL_QUEUE_PROFILING_ENABLE : 0, null);
        if (profiling) org.tessera.profile.Profiler.register(this::flushProfile);
        this.programs = new ProgramCache(context, device);
        for (DType t : DType.values()) kernels.put(t, new ConcurrentHashMap<>());
        this.pool = new ClBufferPool(context, memoryLimit);
        this.columnSumOutputs = Integer.getInteger("tessera.opencl.columnSumOutputs", 4 * LOCAL * Math.max(1, device.computeUnits()));
        this.rowGroupMin = Integer.getInteger("tessera.opencl.rowGroupMin", device.gpu() ? 32 : 4096);
        this.tiledColumnSums = System.getProperty("tessera.opencl.columnSums", device.gpu() ? "tiled" : "items").equals("tiled");
    }

    @Override
    public String deviceName() {
        return device.name();
    }

    @Override
    public String description() {
        ClDevice d = device;
        return String.format("%s (%s, %s, %d compute units, %d MiB, fp64 %s)", d.name(), d.platformName(),
                d.gpu() ? "GPU" : "non-GPU", d.computeUnits(), d.globalMemory() >> 20, d.fp64() ? "yes" : "no");
    }

    ClDevice device() {
        return device;
    }

    @Override
    public boolean asynchronous() {
        return true;
    }

    /** Waits for the profiled kernels, records each one's device time (end - start) and releases the events. */
    private void flushProfile() {
        synchronized (lock) {
            if (profiledEvents.isEmpty() || closed) return;
            clFinish(queue);
            long[] start = new long[1], end = new long[1];
            for (int i = 0; i < profiledEvents.size(); i++) {
                org.jocl.cl_event ev = profiledEvents.get(i);
                clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, Sizeof.cl_ulong, Pointer.to(start), null);
                clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, Sizeof.cl_ulong, Pointer.to(end), null);
                org.tessera.profile.Profiler.record("opencl:" + device.index(), "kernel " + profiledNames.get(i), end[0] - start[0]);
                clReleaseEvent(ev);
            }
            profiledEvents.clear();
            profiledNames.clear();
        }
    }

    @Override
    public org.tessera.backend.DeviceInfo info() {
        return new org.tessera.backend.DeviceInfo(device.gpu() ? "GPU" : "OpenCL non-GPU", device.computeUnits(), device.globalMemory(), device.fp64());
    }

    @Override
    public MemoryStats memory() {
        return new MemoryStats(pool.liveBuffers(), pool.liveBytes(), pool.pooledBytes(), pool.peakBytes());
    }

    @Override
    public void resetPeakMemory() {
        pool.resetPeak();
    }

    /** Changes the cap on live + pooled device bytes (property tessera.opencl.memoryLimit sets it at start). */
    void setMemoryLimit(long bytes) {
        pool.setLimit(bytes);
    }

    long memoryLimit() {
        return pool.limit();
    }

    ProgramCache programs() {
        return programs;
    }

    /** Returns pooled buffers to the device (they are otherwise kept for reuse); returns the bytes freed. */
    long trimPool() {
        return pool.trim();
    }

    /**
     * Releases every OpenCL object this backend holds: kernels, programs, pooled and internal buffers, the queue
     * and the context (buffers of tensors still open keep the context alive until they are released). For owners
     * of a private backend (tests); the shared backend of {@code Device.of("opencl")} lives as long as the JVM.
     * Any later call throws IllegalStateException.
     */
    void close() {
        synchronized (lock) {
            if (closed) return;
            clFinish(queue);
            closed = true;
            for (Map<String, cl_kernel> byName : kernels.values()) {
                byName.values().forEach(org.jocl.CL::clReleaseKernel);
                byName.clear();
            }
            lastArgs.clear();
            programs.releaseAll();
            synchronized (dummies) {
                dummies.values().forEach(this::release);
                dummies.clear();
            }
            pool.trim();
            clReleaseCommandQueue(queue);
            clReleaseContext(context);
        }
    }

    private void checkNotClosed() {
        if (closed) throw new IllegalStateException("this OpenCL backend for " + device.name() + " has been closed");
    }

    // ---- buffers ----

    @Override
    public Buffer allocate(DType dtype, int numel) {
        checkNotClosed();
        if (dtype == DType.F64 && !device.fp64()) {
            throw new TesseraException("F64 tensors need the cl_khr_fp64 extension, which " + device.describe()
                    + " lacks; use F32 on this device");
        }
        long bucket = ClBufferPool.bucket((long) Math.max(1, numel) * dtype.byteSize());
        return new ClBuffer(pool.take(bucket), dtype, numel, bucket);
    }

    @Override
    public void release(Buffer buffer) {
        ClBuffer b = (ClBuffer) buffer;
        synchronized (lock) {   // not while close() runs: a buffer given to the pool then would never be freed
            if (closed) pool.discard(b.mem, b.bytes);
            else pool.give(b.mem, b.bytes);
        }
    }

    @Override
    public void write(Buffer buffer, Object hostArray) {
        ClBuffer b = (ClBuffer) buffer;
        int n = java.lang.reflect.Array.getLength(hostArray);
        if (n == 0) return;
        synchronized (lock) {
            checkNotClosed();
            clEnqueueWriteBuffer(queue, b.mem, CL_TRUE, 0, (long) n * b.dtype.byteSize(), host(hostArray), 0, null, null);
        }
    }

    @Override
    public void read(Strided src, Object hostArray) {
        int n = src.numel();
        if (n == 0) return;
        if (src.isContiguous()) {
            ClBuffer b = (ClBuffer) src.buffer();
            synchronized (lock) {
                checkNotClosed();
                clEnqueueReadBuffer(queue, b.mem, CL_TRUE, (long) src.offset() * b.dtype.byteSize(),
                        (long) n * b.dtype.byteSize(), host(hostArray), 0, null, null);
            }
            return;
        }
        Buffer dense = allocate(src.dtype(), n);
        try {
            Strided d = new Strided(dense, src.shape(), Strided.contiguousStrides(src.shape()), 0);
            copy(src, d);
            read(d, hostArray);
        } finally {
            release(dense);
        }
    }

    private static Pointer host(Object array) {
        if (array instanceof float[] f) return Pointer.to(f);
        if (array instanceof double[] d) return Pointer.to(d);
        if (array instanceof short[] h) return Pointer.to(h);     // F16 / BF16 bits
        return Pointer.to((int[]) array);
    }

    @Override
    public void copy(Strided src, Strided dst) {
        elementwise(dst.dtype(), Program.FILL_COPY, KernelSource.copyKernel(src.dtype()), dst, new Strided[] {src});
    }

    @Override
    public void fill(Strided dst, double value) {
        elementwise(dst.dtype(), Program.FILL_COPY, "fill", dst, new Strided[0], new Ct(value));
    }

    // ---- elementwise ----

    @Override
    public void unary(UnaryOp op, double p, double q, Strided x, Strided out) {
        int n = out.numel();
        if (n > 0 && x.isContiguous() && out.isContiguous()) {
            launch(out.dtype(), Program.UNARY, "unary_dense_" + KernelSource.name(op), denseGlobal(n), denseLocal(n),
                    x.buffer(), out.buffer(), new int[] {x.offset(), out.offset(), n, 0}, new Ct(p), new Ct(q));
            return;
        }
        elementwise(out.dtype(), Program.UNARY, "unary_" + KernelSource.name(op), out, new Strided[] {x}, new Ct(p), new Ct(q));
    }

    @Override
    public void unaryBackward(UnaryOp op, double p, double q, Strided dy, Strided saved, Strided dx) {
        elementwise(dx.dtype(), Program.UNARY_BACKWARD, "unary_backward_" + KernelSource.name(op), dx, new Strided[] {dy, saved},
                new Ct(p), new Ct(q));
    }

    @Override
    public void binary(BinaryOp op, Strided a, Strided b, Strided out) {
        int n = out.numel();
        int ra = repeatedBlock(a), rb = repeatedBlock(b);
        if (n > 0 && out.isContiguous() && ra >= 0 && rb >= 0) {
            launch(out.dtype(), Program.BINARY, "binary_dense_" + KernelSource.name(op),
                    denseGlobal(n), denseLocal(n),
                    a.buffer(), b.buffer(), out.buffer(), new int[] {a.offset(), b.offset(), out.offset(), n}, new int[] {ra, rb});
            return;
        }
        elementwise(out.dtype(), Program.BINARY, "binary_" + KernelSource.name(op), out, new Strided[] {a, b});
    }

    @Override
    public void binaryBackward(BinaryOp op, int input, Strided dy, Strided a, Strided b, Strided out) {
        elementwise(out.dtype(), Program.BINARY_BACKWARD, "binary_backward_" + KernelSource.name(op) + "_" + input, out,
                new Strided[] {dy, a, b});
    }

    /**
     * How a binary input can take the dense kernel: 0 when it is contiguous like the output, the length of the dense
     * block it repeats when it is that block broadcast along leading dims (stride 0 there: a bias row), else -1.
     */
    static int repeatedBlock(Strided v) {
        if (v.isContiguous()) return 0;
        int[] shape = v.shape(), strides = v.strides();
        int d = shape.length, block = 1;
        while (d > 0 && (shape[d - 1] == 1 || strides[d - 1] == block)) block *= shape[--d];   // the dense trailing dims
        for (int i = 0; i < d; i++) if (strides[i] != 0 && shape[i] != 1) return -1;             // the broadcast leading dims
        return block;   // 1: a scalar broadcast everywhere
    }

    /**
     * Launches an elementwise kernel whose buffer arguments are the inputs then the output (absent inputs get a
     * one-element dummy), followed by the Layout struct (operand 0 = output) and {@code scalars}.
     */
    private void elementwise(DType t, Program program, String kernel, Strided out, Strided[] inputs, Object... scalars) {
        int n = out.numel();
        if (n == 0) return;
        Strided[] views = new Strided[inputs.length + 1];
        views[0] = out;
        System.arraycopy(inputs, 0, views, 1, inputs.length);
        Object[] args = new Object[inputs.length + 2 + scalars.length];
        for (int i = 0; i < inputs.length; i++) args[i] = inputs[i] == null ? dummy(t) : inputs[i].buffer();
        args[inputs.length] = out.buffer();
        args[inputs.length + 1] = layout(views);
        System.arraycopy(scalars, 0, args, inputs.length + 2, scalars.length);
        long local = Math.min(ELEMENTWISE_LOCAL, maxWorkGroup(t, program, kernel));
        launch(t, program, kernel, new long[] {roundUp(n, local)}, new long[] {local}, args);
    }

    /** Packs the Layout struct of common.cl. */
    private static int[] layout(Strided... views) {
        Coalesced c = Coalesced.of(views);
        int rank = c.shape.length;
        if (rank > MAX_RANK) throw new TesseraException("the OpenCL backend handles at most " + MAX_RANK + " non-mergeable dims, got " + rank);
        int[] s = new int[2 + MAX_RANK + MAX_OPERANDS * MAX_RANK + MAX_OPERANDS];
        s[0] = rank;
        s[1] = c.numel;
        System.arraycopy(c.shape, 0, s, 2, rank);
        for (int k = 0; k < views.length; k++) {
            System.arraycopy(c.strides[k], 0, s, 2 + MAX_RANK + k * MAX_RANK, rank);
            s[2 + MAX_RANK + MAX_OPERANDS * MAX_RANK + k] = c.offsets[k];
        }
        return s;
    }

    // ---- reductions and row ops ----

    @Override
    public void reduce(ReduceOp op, Strided x, Strided out) {
        RowSplit s = RowSplit.of(RowSplit.reducedDims(x, out), x, out);
        if (s.outputs == 0) return;
        int[] rows = rows(s, x.offset(), out.offset());
        long[] global = {(long) s.outputs * RLOCAL}, local = {RLOCAL};
        DType t = x.dtype();
        int kept = s.keptShape.length;
        if ((op == ReduceOp.SUM || op == ReduceOp.MEAN) && kept > 0 && s.keptStrides[0][kept - 1] == 1
                && s.outputs >= columnSumOutputs) {
            if (tiledColumnSums) {
                launch(t, Program.REDUCE, "reduce_sum_columns_tiled", new long[] {roundUp(s.outputs, COLUMN_TILE_X), COLUMN_TILE_Y},
                        new long[] {COLUMN_TILE_X, COLUMN_TILE_Y}, x.buffer(), out.buffer(), rows, op == ReduceOp.MEAN ? 1 : 0);
            } else {
                launch(t, Program.REDUCE, "reduce_sum_columns", new long[] {roundUp(s.outputs, LOCAL)}, new long[] {LOCAL},
                        x.buffer(), out.buffer(), rows, op == ReduceOp.MEAN ? 1 : 0);
            }
            return;
        }
        int chunks = chunksPerRow(s.outputs, s.rowLength);
        if (chunks > 1) {
            reduceTwoPass(op, x, out, s, rows, chunks);
            return;
        }
        if (!op.picks()) {
            launch(t, Program.REDUCE, "reduce_sum", global, local, x.buffer(), out.buffer(), rows, op == ReduceOp.MEAN ? 1 : 0);
        } else if (op.index()) {
            launch(t, Program.REDUCE, "reduce_max", global, local, x.buffer(), dummy(t), out.buffer(), rows, 1, op.sign());
        } else {
            launch(t, Program.REDUCE, "reduce_max", global, local, x.buffer(), out.buffer(), dummy(DType.I32), rows, 0, op.sign());
        }
    }

    /**
     * How many pieces each row is cut into: 1 (one work-group per output) unless there are too few outputs to
     * fill the device, then enough chunks of ~16K elements to give every compute unit work (at most 1024).
     */
    private int chunksPerRow(int outputs, int rowLength) {
        int units = Math.max(1, device.computeUnits());
        if (outputs >= 4 * units || rowLength < 2 * CHUNK_ELEMENTS) return 1;
        return Math.max(1, Math.min(1024, Math.min(rowLength / CHUNK_ELEMENTS, 64 * units / Math.max(1, outputs) + 1)));
    }

    private void reduceTwoPass(ReduceOp op, Strided x, Strided out, RowSplit s, int[] rows, int chunks) {
        DType t = x.dtype();
        DType acc = device.fp64() ? DType.F64 : DType.F32;
        int groups = s.outputs * chunks;
        Buffer partial = allocate(acc, groups), index = allocate(DType.I32, groups);
        try {
            launch(t, Program.REDUCE, "reduce_partial", new long[] {(long) groups * RLOCAL}, new long[] {RLOCAL},
                    x.buffer(), partial, index, rows, chunks, op.picks() ? 1 : 0, op.sign());
            int mode = op == ReduceOp.SUM ? FINISH_SUM : op == ReduceOp.MEAN ? FINISH_MEAN : op.index() ? FINISH_INDEX : FINISH_EXTREME;
            launch(t, Program.REDUCE, "reduce_finish", new long[] {(long) s.outputs * RLOCAL}, new long[] {RLOCAL},
                    partial, index, op.index() ? dummy(t) : out.buffer(), op.index() ? out.buffer() : dummy(DType.I32),
                    rows, chunks, mode, op.sign());
        } finally {
            release(partial);   // the in-order queue runs both passes before anything reuses these buffers
            release(index);
        }
    }

    /** Whether these rows get a work-group each: long rows, or (on any device) too few rows to occupy it. */
    private boolean rowGroups(RowSplit s) {
        return s.rowLength >= rowGroupMin || (s.rowLength >= 64 && s.outputs < LOCAL * Math.max(1, device.computeUnits()));
    }

    /** One work-group per row, or one work-item per row rounded up to LOCAL. */
    private long[][] rowGeometry(RowSplit s, boolean groups) {
        return groups ? new long[][] {{(long) s.outputs * RLOCAL}, {RLOCAL}} : new long[][] {{roundUp(s.outputs, LOCAL)}, {LOCAL}};
    }

    @Override
    public void softmax(Strided x, int dim, boolean log, Strided out) {
        RowSplit s = RowSplit.of(new int[] {dim}, x, out);
        if (s.outputs == 0 || s.rowLength == 0) return;
        boolean groups = rowGroups(s);
        long[][] g = rowGeometry(s, groups);
        launch(x.dtype(), Program.REDUCE, groups ? "softmax_forward_rows" : "softmax_forward", g[0], g[1],
                x.buffer(), out.buffer(), rows(s, x.offset(), out.offset()), log ? 1 : 0);
    }

    @Override
    public void softmaxBackward(Strided y, Strided dy, int dim, boolean log, Strided dx) {
        RowSplit s = RowSplit.of(new int[] {dim}, y, dy, dx);
        if (s.outputs == 0 || s.rowLength == 0) return;
        boolean groups = rowGroups(s);
        long[][] g = rowGeometry(s, groups);
        launch(dx.dtype(), Program.REDUCE, groups ? "softmax_backward_rows" : "softmax_backward", g[0], g[1],
                y.buffer(), dy.buffer(), dx.buffer(), rows(s, y.offset(), dy.offset(), dx.offset()), log ? 1 : 0);
    }

    @Override
    public void crossEntropy(Strided logits, Strided labels, Strided losses) {
        crossEntropyKernel(false, logits, labels, losses, null);
    }

    @Override
    public void crossEntropyBackward(Strided logits, Strided labels, Strided losses, Strided dLosses, Strided dLogits) {
        // the backward recomputes each row's log-sum-exp: the forward's losses are not needed
        crossEntropyKernel(true, logits, labels, dLosses, dLogits);
    }

    /**
     * reduce.cl's cross-entropy kernel, both directions: forward writes each row's loss to {@code rowValues}; backward
     * reads each row's upstream gradient from {@code rowValues} and writes {@code dLogits}.
     */
    private void crossEntropyKernel(boolean backward, Strided logits, Strided labels, Strided rowValues, Strided dLogits) {
        RowSplit s = RowSplit.of(new int[] {1}, logits, backward ? dLogits : logits);
        if (s.outputs == 0) return;
        DType t = logits.dtype();
        boolean groups = rowGroups(s);
        long[][] g = rowGeometry(s, groups);
        launch(t, Program.REDUCE, groups ? "cross_entropy_rows" : "cross_entropy", g[0], g[1],
                logits.buffer(), labels.buffer(), rowValues.buffer(), backward ? dLogits.buffer() : dummy(t),
                rows(s, logits.offset(), backward ? dLogits.offset() : 0), labels.strides()[0], labels.offset(),
                rowValues.strides()[0], rowValues.offset(), backward ? 1 : 0);
    }

    /** Packs the Rows struct of reduce.cl. */
    private static int[] rows(RowSplit s, int... offsets) {
        int kept = s.keptShape.length, row = s.rowShape.length;
        if (kept + row > MAX_RANK) throw new TesseraException("the OpenCL backend handles tensors of at most " + MAX_RANK + " dims");
        int[] r = new int[1 + MAX_RANK + 3 * MAX_RANK + 1 + MAX_RANK + 3 * MAX_RANK + 3 + 2];
        int at = 0;
        r[at++] = kept;
        System.arraycopy(s.keptShape, 0, r, at, kept);
        at += MAX_RANK;
        for (int k = 0; k < 3; k++, at += MAX_RANK) if (k < offsets.length) System.arraycopy(s.keptStrides[k], 0, r, at, kept);
        r[at++] = row;
        System.arraycopy(s.rowShape, 0, r, at, row);
        at += MAX_RANK;
        for (int k = 0; k < 3; k++, at += MAX_RANK) if (k < offsets.length) System.arraycopy(s.rowStrides[k], 0, r, at, row);
        for (int k = 0; k < 3; k++) r[at++] = k < offsets.length ? offsets[k] : 0;
        r[at++] = s.outputs;
        r[at] = s.rowLength;
        return r;
    }

    // ---- linear algebra ----

    @Override
    public void matmul(Strided a, boolean transA, Strided b, boolean transB, Strided out, double alpha, double beta) {
        int m = out.shape()[1], n = out.shape()[2], k = transA ? a.shape()[1] : a.shape()[2];
        if (out.shape()[0] == 0 || m == 0 || n == 0) return;
        matmul(gemmConfig(GemmClass.of(out.dtype(), transA, transB, m, n, k), m, n, k), a, transA, b, transB, out, alpha, beta);
    }

    /** The product with one gemm.cl configuration (the tuner times candidates through this). */
    void matmul(GemmConfig cfg, Strided a, boolean transA, Strided b, boolean transB, Strided out, double alpha, double beta) {
        int batch = out.shape()[0], m = out.shape()[1], n = out.shape()[2];
        int k = transA ? a.shape()[1] : a.shape()[2];
        if (batch == 0 || m == 0 || n == 0) return;
        if ((transA || transB) && !cfg.inPlace()) {
            // This configuration reads op(X) dense: a transposed operand becomes strided loads in its inner loop
            // (PoCL: a Linear layer's x W^T ran ~10x slower), and copying it costs O(rows x cols) against O(m n k).
            Buffer ta = transA ? dense(a) : null, tb = transB ? dense(b) : null;
            try {
                matmul(cfg, transA ? new Strided(ta, new int[] {a.shape()[0], m, k}, Strided.contiguousStrides(new int[] {a.shape()[0], m, k}), 0) : a,
                        false,
                        transB ? new Strided(tb, new int[] {b.shape()[0], k, n}, Strided.contiguousStrides(new int[] {b.shape()[0], k, n}), 0) : b,
                        false, out, alpha, beta);
            } finally {
                if (ta != null) release(ta);   // the in-order queue runs the product before anything reuses them
                if (tb != null) release(tb);
            }
            return;
        }
        int[] g = {m, n, k, a.strides()[1], b.strides()[1], out.strides()[1], a.strides()[0], b.strides()[0], out.strides()[0],
                a.offset(), b.offset(), out.offset()};
        long[] global = {roundUp((n + cfg.tn() - 1) / cfg.tn(), cfg.wgN()), roundUp((m + cfg.tm() - 1) / cfg.tm(), cfg.wgM()), batch};
        DType t = out.dtype();
        String options = cfg.defines(transA, transB);
        launch(t, Program.GEMM, "gemm", options, global, new long[] {cfg.wgN(), cfg.wgM(), 1},
                a.buffer(), b.buffer(), out.buffer(), g, new Ct(alpha), new Ct(beta));
    }

    /**
     * The configuration for a shape class: forced (tests), chosen earlier in this process, the tuning cache's winner,
     * or, the first time a class is seen, tuned now (-Dtessera.opencl.tune=quick, the default, or full) or the
     * default (off, and products too small to tune). One class is tuned at a time; other threads wanting the same
     * class wait for its winner.
     */
    GemmConfig gemmConfig(GemmClass c, int m, int n, int k) {
        if (forcedGemm != null) return forcedGemm;
        GemmConfig known = gemmConfigs.get(c);
        if (known != null) return known;
        synchronized (tuneLock) {
            known = gemmConfigs.get(c);
            if (known != null) return known;
            GemmConfig chosen = GemmConfig.defaultFor(device, c);
            if (tuneMode != GemmTuner.Mode.OFF && c.tuned()) {
                TuneCache.Entry cached = tuneCache.load(c);
                if (cached != null && cached.config().fits(device.limits(), c.dtype())) {
                    chosen = cached.config();
                } else {
                    GemmTuner.Result r = new GemmTuner(this).tune(c, m, n, k, tuneMode, tuneMode.budget(), t -> {});
                    chosen = r.winner();
                    tuneCache.store(c, new TuneCache.Entry(r.winner(), r.winnerGflops(), r.shape()));
                    releaseLosers(c, r);
                }
            }
            gemmConfigs.put(c, chosen);
            return chosen;
        }
    }

    /** After a search: releases what the candidates built, except the winner, the default and other classes' choices. */
    void releaseLosers(GemmClass c, GemmTuner.Result r) {
        Set<GemmConfig> keep = new java.util.HashSet<>(gemmConfigs.values());
        keep.add(r.winner());
        keep.add(GemmConfig.defaultFor(device, c));
        String source = KernelSource.source(c.dtype(), Program.GEMM, device.fp64());
        for (GemmTuner.Trial t : r.trials()) if (!keep.contains(t.config())) releaseGemm(c.dtype(), source, t.config());
    }

    /**
     * Releases the kernels and programs a losing candidate built (every transpose variant), so tuning leaves only
     * the winners on the device; a later use would simply build them again.
     */
    private void releaseGemm(DType t, String source, GemmConfig cfg) {
        synchronized (lock) {
            if (closed) return;
            Map<String, cl_kernel> byName = kernels.get(t);
            for (int v = 0; v < 4; v++) {
                String extra = cfg.defines((v & 1) != 0, (v & 2) != 0);
                cl_kernel k = byName == null ? null : byName.remove(extra);
                if (k != null) {
                    lastArgs.remove(k);
                    clReleaseKernel(k);
                }
                programs.release(source, KernelSource.options(t, device) + extra);
            }
        }
    }

    /** How many GEMM kernels (configurations x transpose variants) this backend holds for a dtype. */
    int gemmKernels(DType t) {
        synchronized (lock) {
            Map<String, cl_kernel> byName = kernels.get(t);
            return byName == null ? 0 : (int) byName.keySet().stream().filter(k -> k.startsWith(" -D")).count();
        }
    }

    TuneCache tuneCache() {
        return tuneCache;
    }

    /** Forgets this process's choices (the next GEMM of each class loads or tunes again). */
    void forgetGemmChoices() {
        gemmConfigs.clear();
    }

    /** The transpose of a stored [batch, r, c] operand, copied into a dense [batch, c, r] buffer. */
    private Buffer dense(Strided x) {
        int batch = x.shape()[0], r = x.shape()[1], c = x.shape()[2];
        int[] shape = {batch, c, r};
        Buffer buf = allocate(x.dtype(), batch * r * c);
        if (x.strides()[2] == 1 && batch * r * c > 0) {
            // rows of x are dense: a tiled transpose through local memory reads and writes whole rows (coalesced)
            launch(x.dtype(), Program.FILL_COPY, "transpose",
                    new long[] {roundUp(c, TRANSPOSE_TILE), roundUp(r, TRANSPOSE_TILE), batch}, new long[] {TRANSPOSE_TILE, TRANSPOSE_TILE, 1},
                    x.buffer(), buf, new int[] {r, c, x.strides()[1], x.strides()[0], x.offset(), 0, 0, 0});
            return buf;
        }
        Strided transposed = new Strided(x.buffer(), shape, new int[] {x.strides()[0], x.strides()[2], x.strides()[1]}, x.offset());
        copy(transposed, new Strided(buf, shape, Strided.contiguousStrides(shape), 0));
        return buf;
    }

    // ---- indexing ----

    @Override
    public void gather(Strided x, int dim, Strided index, Strided out) {
        int n = index.numel();
        if (n == 0) return;
        launch(x.dtype(), Program.INDEX, "gather", new long[] {roundUp(n, LOCAL)}, new long[] {LOCAL}, x.buffer(), index.buffer(), out.buffer(),
                indexing(index, dim, n, x, out));
    }

    @Override
    public void scatterAdd(Strided src, int dim, Strided index, Strided out) {
        int n = index.shape()[dim] == 0 ? 0 : index.numel() / index.shape()[dim];
        if (n == 0) return;
        launch(out.dtype(), Program.INDEX, "scatter_add", new long[] {roundUp(n, LOCAL)}, new long[] {LOCAL}, src.buffer(), index.buffer(),
                out.buffer(), indexing(index, dim, n, src, out));
    }

    /** Packs the Indexing struct of index.cl. */
    private static int[] indexing(Strided index, int dim, int n, Strided src, Strided out) {
        int rank = index.rank();
        if (rank > MAX_RANK) throw new TesseraException("the OpenCL backend handles tensors of at most " + MAX_RANK + " dims");
        int[] s = new int[3 + 4 * MAX_RANK + 3];
        s[0] = rank;
        s[1] = dim;
        s[2] = n;
        System.arraycopy(index.shape(), 0, s, 3, rank);
        System.arraycopy(src.strides(), 0, s, 3 + MAX_RANK, rank);
        System.arraycopy(index.strides(), 0, s, 3 + 2 * MAX_RANK, rank);
        System.arraycopy(out.strides(), 0, s, 3 + 3 * MAX_RANK, rank);
        s[3 + 4 * MAX_RANK] = src.offset();
        s[4 + 4 * MAX_RANK] = index.offset();
        s[5 + 4 * MAX_RANK] = out.offset();
        return s;
    }

    // ---- random ----

    @Override
    public void random(Strided out, RandomKind kind, long seed, long counter) {
        int n = out.numel();
        if (n == 0) return;
        launch(out.dtype(), Program.RANDOM, kind == RandomKind.UNIFORM ? "random_uniform" : "random_normal", new long[] {roundUp(n, LOCAL)},
                new long[] {LOCAL}, out.buffer(), out.offset(), n, seed, counter);
    }

    @Override
    public void dropout(Strided x, double p, long seed, long counter, Strided out, Strided mask) {
        int n = x.numel();
        if (n == 0) return;
        launch(x.dtype(), Program.RANDOM, "dropout", new long[] {roundUp(n, LOCAL)}, new long[] {LOCAL}, x.buffer(), out.buffer(),
                mask.buffer(), new int[] {x.offset(), out.offset(), mask.offset(), 0}, n, new Ct(p), new Ct(1 / (1 - p)), seed, counter);
    }

    // ---- optimisers ----

    @Override
    public void optimizerStep(OptimizerStep step, Strided param, Strided grad, Strided[] state) {
        int n = param.numel();
        if (n == 0) return;
        DType t = param.dtype();
        Object[] slots = new Object[state.length];
        int[] span = new int[6];
        span[0] = n;
        span[1] = param.offset();
        span[2] = grad.offset();
        for (int k = 0; k < state.length; k++) {
            slots[k] = state[k] == null ? dummy(t) : state[k].buffer();
            span[3 + k] = state[k] == null ? 0 : state[k].offset();
        }
        long[] global = {roundUp(n, LOCAL)}, local = {LOCAL};
        if (step instanceof OptimizerStep.Sgd s) {
            launch(t, Program.OPTIM, "sgd_step", global, local, param.buffer(), grad.buffer(), slots[0], span,
                    new Ct(s.lr()), new Ct(s.momentum()), new Ct(s.dampening()), new Ct(s.weightDecay()), s.nesterov() ? 1 : 0,
                    s.firstStep() ? 1 : 0);
        } else if (step instanceof OptimizerStep.Adam a) {
            launch(t, Program.OPTIM, "adam_step", global, local, param.buffer(), grad.buffer(), slots[0],
                    slots[1], span, new Ct(a.beta1()), new Ct(a.beta2()), new Ct(a.eps()), new Ct(a.weightDecay()), new Ct(a.stepSize()),
                    new Ct(a.rootCorrection()), new Ct(1 - a.lr() * a.weightDecay()), a.decoupled() ? 1 : 0);
        } else if (step instanceof OptimizerStep.RmsProp r) {
            launch(t, Program.OPTIM, "rmsprop_step", global, local, param.buffer(), grad.buffer(),
                    slots[0], slots[1], slots[2], span, new Ct(r.lr()), new Ct(r.alpha()), new Ct(r.eps()), new Ct(r.weightDecay()),
                    new Ct(r.momentum()), r.centered() ? 1 : 0);
        } else {
            throw new IllegalArgumentException("no OpenCL kernel for optimiser step " + step);
        }
    }

    // ---- launching ----

    /** A scalar in the program's compute type (float or double), resolved at launch. */
    private record Ct(double value) {}

    private void launch(DType t, Program program, String name, long[] global, long[] local, Object... args) {
        launch(t, program, name, "", global, local, args);
    }

    /**
     * Sets the arguments of kernel {@code name} of the dtype's program built with {@code extraOptions} and enqueues it,
     * under the lock (kernel objects are shared, and clSetKernelArg is not thread-safe on one kernel). The kernel is
     * found or built before the lock: a thread compiling a program never holds up other threads' launches.
     */
    private void launch(DType t, Program program, String name, String extraOptions, long[] global, long[] local, Object... args) {
        checkNotClosed();
        cl_kernel k = kernel(t, program, name, extraOptions);
        synchronized (lock) {
            checkNotClosed();
            boolean doubles = KernelSource.computeType(t, device.fp64()) == DType.F64;
            Object[] last = lastArgs.computeIfAbsent(k, x -> new Object[args.length]);
            try {
                for (int i = 0; i < args.length; i++) {
                    Object a = args[i];
                    if (sameArg(last[i], a)) continue;
                    last[i] = a instanceof ClBuffer b ? b.mem : a;
                    if (a instanceof ClBuffer b) clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(b.mem));
                    else if (a instanceof int[] struct) clSetKernelArg(k, i, (long) Sizeof.cl_int * struct.length, Pointer.to(struct));
                    else if (a instanceof Integer v) clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {v}));
                    else if (a instanceof Long v) clSetKernelArg(k, i, Sizeof.cl_ulong, Pointer.to(new long[] {v}));
                    else if (a instanceof Ct c && doubles) clSetKernelArg(k, i, Sizeof.cl_double, Pointer.to(new double[] {c.value}));
                    else if (a instanceof Ct c) clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[] {(float) c.value}));
                    else throw new IllegalArgumentException("unsupported kernel argument " + a);
                }
                if (profiling && org.tessera.profile.Profiler.enabled()) {
                    org.jocl.cl_event ev = new org.jocl.cl_event();
                    clEnqueueNDRangeKernel(queue, k, global.length, null, global, local, 0, null, ev);
                    profiledNames.add(name);
                    profiledEvents.add(ev);
                    if (profiledEvents.size() >= 4096) flushProfile();
                } else {
                    clEnqueueNDRangeKernel(queue, k, global.length, null, global, local, 0, null, null);
                }
            } catch (CLException e) {
                lastArgs.remove(k);   // the kernel's arguments are now unknown
                throw new TesseraException("OpenCL kernel '" + name + "' (" + t + ") failed on " + device.name() + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /**
     * The largest work-group this kernel can run with on this device (CL_KERNEL_WORK_GROUP_SIZE), rounded down
     * to a power of two; kernels with a required size (64) are always within it on OpenCL 1.2 devices.
     */
    private long maxWorkGroup(DType t, Program program, String name) {
        String key = t + "/" + name;
        Long limit = workGroupLimits.get(key);
        if (limit != null) return limit;
        long[] size = new long[1];
        clGetKernelWorkGroupInfo(kernel(t, program, name, ""), device.id(), CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(size), null);
        limit = Long.highestOneBit(Math.max(1, size[0]));
        workGroupLimits.put(key, limit);
        return limit;
    }

    /** Whether an argument equals what was last set (buffers by their cl_mem, structs by content). */
    private static boolean sameArg(Object last, Object a) {
        if (last == null) return false;
        if (a instanceof ClBuffer b) return last == b.mem;
        if (a instanceof int[] s) return last instanceof int[] l && java.util.Arrays.equals(l, s);
        return a.equals(last);
    }

    /**
     * The kernel {@code name} of the dtype's program, built with {@code extraOptions} (gemm.cl's defines) on first use.
     * Kept under its name, or under its options when it has some (only gemm.cl's one kernel does): no key is built
     * per launch.
     */
    private cl_kernel kernel(DType t, Program program, String name, String extraOptions) {
        Map<String, cl_kernel> byName = kernels.get(t);
        String key = extraOptions.isEmpty() ? name : extraOptions;
        cl_kernel k = byName.get(key);
        if (k != null) return k;
        // The program cache builds each program once (other programs' users do not wait); two threads that race to
        // here each create a kernel object, and the one that loses releases its own.
        String options = KernelSource.options(t, device) + extraOptions;
        cl_program p = programs.get(program.name().toLowerCase(java.util.Locale.ROOT) + "-" + t.name().toLowerCase(java.util.Locale.ROOT),
                KernelSource.source(t, program, device.fp64()), options);
        cl_kernel made = clCreateKernel(p, name, null);
        k = byName.putIfAbsent(key, made);
        if (k == null) return made;
        clReleaseKernel(made);
        return k;
    }

    private ClBuffer dummy(DType t) {
        synchronized (dummies) {
            return dummies.computeIfAbsent(t, x -> (ClBuffer) allocate(x, 1));
        }
    }

    /** Global size of a dense kernel: DENSE_VEC elements per work-item, rounded up to {@link #denseLocal}. */
    private static long[] denseGlobal(int n) {
        return new long[] {roundUp((n + DENSE_VEC - 1) / DENSE_VEC, denseLocal(n)[0])};
    }

    /**
     * Work-group size of a dense kernel: the work-item count rounded up to a power of two from 8 to LOCAL, so a
     * tiny op launches a tiny group (PoCL's launch cost grows with the group) while a kernel still sees at most
     * four local sizes (PoCL compiles each once).
     */
    private static long[] denseLocal(int n) {
        long items = (n + DENSE_VEC - 1) / DENSE_VEC;
        long local = 8;
        while (local < items && local < LOCAL) local <<= 1;
        return new long[] {local};
    }

    private static long roundUp(long n, long multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    @Override
    public void synchronize() {
        synchronized (lock) {
            checkNotClosed();
            clFinish(queue);
        }
    }
}
