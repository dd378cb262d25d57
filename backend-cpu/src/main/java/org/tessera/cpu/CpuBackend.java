package org.tessera.cpu;

import org.tessera.DType;
import org.tessera.Rng;
import org.tessera.backend.Backend;
import org.tessera.backend.BinaryOp;
import org.tessera.backend.Buffer;
import org.tessera.backend.Half;
import org.tessera.backend.MemoryStats;
import org.tessera.backend.OptimizerStep;
import org.tessera.backend.ReduceOp;
import org.tessera.backend.Strided;
import org.tessera.backend.UnaryOp;

/**
 * The CPU backend: heap arrays, ForkJoin data parallelism, a blocked GEMM. Elementwise ops stream chunks
 * of each operand into dense double scratch, apply the op table's Java formula, and round on the way
 * back, so one loop serves every dtype, layout and broadcast.
 */
final class CpuBackend implements Backend {

    /**
     * Elements per parallel piece, so ops below twice this stay on the calling thread (property
     * tessera.cpu.grain). Measured with {@code SplitThresholdBench} (F32 mul, 2 threads): one thread wins up
     * to ~64K elements, the two break even near 128K and two win from 256K (30 vs 38 us).
     */
    static final int ELEMENTWISE_GRAIN = Integer.getInteger("tessera.cpu.grain", 1 << 16);
    /** Dense scratch per operand: 1024 doubles (8 KiB) keeps three operands within L1. */
    static final int CHUNK = 1024;

    private final String name;
    final Parallel parallel;
    private final Gemm gemm;
    private final Reductions reductions;
    private final UniformSource uniforms = SimdSupport.uniforms();
    private final RowKernels rowKernels = SimdSupport.rows();
    private final FastElementwise fast = SimdSupport.elementwise();
    private final BufferPool pool = BufferPool.forThisJvm();
    /** Counters of buffers allocated and not released (LongAdder: allocation is on every op's path, from many threads). */
    private final java.util.concurrent.atomic.LongAdder liveBuffers = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.AtomicLong liveBytes = new java.util.concurrent.atomic.AtomicLong(),
            peakBytes = new java.util.concurrent.atomic.AtomicLong();

    CpuBackend(int threads) {
        this.parallel = new Parallel(threads);
        this.name = "CPU (" + threads + (threads == 1 ? " thread" : " threads") + ", "
                + System.getProperty("os.arch") + (SimdSupport.available() ? ", Vector API" : "") + ")";
        this.gemm = new Gemm(parallel);
        this.reductions = new Reductions(parallel);
        Warmup.start();
    }

    @Override
    public String deviceName() {
        return name;
    }

    @Override
    public String description() {
        return name + ", " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB heap, fp64 yes";
    }

    // ---- buffers ----

    @Override
    public Buffer allocate(DType dtype, int numel) {
        Object reused = pool.take(dtype, numel);
        liveBuffers.increment();
        long live = liveBytes.addAndGet((long) numel * dtype.byteSize());
        if (live > peakBytes.get()) peakBytes.accumulateAndGet(live, Math::max);
        return new CpuBuffer(dtype, reused != null ? reused : CpuBuffer.newArray(dtype, numel), numel);
    }

    @Override
    public void release(Buffer buffer) {
        CpuBuffer b = (CpuBuffer) buffer;
        liveBuffers.decrement();
        liveBytes.addAndGet(-(long) b.capacity() * b.dtype.byteSize());
        pool.give(b.dtype, b.array, b.capacity());   // small arrays are left to the garbage collector
    }

    @Override
    public org.tessera.backend.DeviceInfo info() {
        return new org.tessera.backend.DeviceInfo("CPU", parallel.threads(), Runtime.getRuntime().maxMemory(), true);
    }

    @Override
    public MemoryStats memory() {
        return new MemoryStats(liveBuffers.sum(), liveBytes.get(), pool.pooledBytes(), peakBytes.get());
    }

    @Override
    public void resetPeakMemory() {
        peakBytes.set(liveBytes.get());
    }

    @Override
    public boolean needsRelease() {
        return false;
    }

    @Override
    public void write(Buffer buffer, Object hostArray) {
        CpuBuffer b = (CpuBuffer) buffer;
        if (b.array instanceof char[] bits) {      // BF16: the host's short[] bits into the char[] that marks BF16
            short[] src = (short[]) hostArray;
            for (int i = 0; i < src.length; i++) bits[i] = (char) src[i];
            return;
        }
        System.arraycopy(hostArray, 0, b.array, 0, java.lang.reflect.Array.getLength(hostArray));
    }

    @Override
    public void read(Strided src, Object hostArray) {
        if (src.dtype() == DType.BF16) {          // gathered as char[] (BF16's array type), handed out as short[] bits
            char[] bits = new char[src.numel()];
            readInto(src, bits);
            short[] dst = (short[]) hostArray;
            for (int i = 0; i < bits.length; i++) dst[i] = (short) bits[i];
            return;
        }
        readInto(src, hostArray);
    }

    /** {@link #read} into an array of the buffer's own type. */
    private void readInto(Strided src, Object hostArray) {
        if (src.isContiguous() && hostArray.getClass() == array(src).getClass()) {
            System.arraycopy(array(src), src.offset(), hostArray, 0, src.numel());
            return;
        }
        int[] shape = src.shape();
        Strided dst = new Strided(new CpuBuffer(src.dtype(), hostArray, src.numel()), shape, Strided.contiguousStrides(shape), 0);
        copy(src, dst);
    }

    @Override
    public void copy(Strided src, Strided dst) {
        if (src.dtype() == dst.dtype() && src.isContiguous() && dst.isContiguous()) {   // a plain copy: no conversion
            System.arraycopy(array(src), src.offset(), array(dst), dst.offset(), dst.numel());
            return;
        }
        if (allF32(src, dst)) {
            mapFloats(dst, new Strided[] {src}, (in, out, n) -> System.arraycopy(in[0], 0, out, 0, n));
            return;
        }
        if (src.isContiguous() && dst.isContiguous() && HalfConversions.converts(array(src), array(dst))) {
            // F32 <-> F16/BF16, dense: the Autocast casts and every staged op take this path, at memory speed
            Object from = array(src), to = array(dst);
            parallel.forRange(dst.numel(), ELEMENTWISE_GRAIN,
                    (s, e) -> HalfConversions.convert(from, src.offset() + s, to, dst.offset() + s, e - s));
            return;
        }
        map(dst, new Strided[] {src}, (in, out, n) -> System.arraycopy(in[0], 0, out, 0, n));
    }

    @Override
    public void fill(Strided dst, double value) {
        Object a = array(dst);
        if (dst.isContiguous()) {
            int from = dst.offset(), to = from + dst.numel();
            if (a instanceof float[] f) java.util.Arrays.fill(f, from, to, (float) value);
            else if (a instanceof double[] d) java.util.Arrays.fill(d, from, to, value);
            else if (a instanceof short[] h) java.util.Arrays.fill(h, from, to, Half.f16((float) value));
            else if (a instanceof char[] h) java.util.Arrays.fill(h, from, to, (char) Half.bf16((float) value));
            else java.util.Arrays.fill((int[]) a, from, to, (int) value);
            return;
        }
        map(dst, new Strided[0], (in, out, n) -> java.util.Arrays.fill(out, 0, n, value));
    }

    // ---- elementwise ----

    @Override
    public void unary(UnaryOp op, double p, double q, Strided x, Strided out) {
        FastElementwise.Unary k = fast.unary(op);
        if (k != null && denseF32(out, x)) {
            float[] xs = (float[]) array(x), ys = (float[]) array(out);
            parallel.forRange(out.numel(), ELEMENTWISE_GRAIN,
                    (s, e) -> k.apply((float) p, (float) q, xs, x.offset() + s, ys, out.offset() + s, e - s));
            return;
        }
        if (k != null && allF32(out, x)) {   // strided F32: gathered into float chunks, same kernels
            mapFloats(out, new Strided[] {x}, (in, o, n) -> k.apply((float) p, (float) q, in[0], 0, o, 0, n));
            return;
        }
        UnaryOp.Forward f = op.forward();
        map(out, new Strided[] {x}, (in, o, n) -> {
            double[] a = in[0];
            for (int i = 0; i < n; i++) o[i] = f.apply(a[i], p, q);
        });
    }

    @Override
    public void unaryBackward(UnaryOp op, double p, double q, Strided dy, Strided saved, Strided dx) {
        FastElementwise.UnaryBackward k = fast.unaryBackward(op);
        if (k != null && denseF32(dx, dy, saved)) {
            float[] gs = (float[]) array(dy), ss = saved == null ? null : (float[]) array(saved), xs = (float[]) array(dx);
            int so = saved == null ? 0 : saved.offset();
            parallel.forRange(dx.numel(), ELEMENTWISE_GRAIN,
                    (s, e) -> k.apply((float) p, (float) q, gs, dy.offset() + s, ss, so + s, xs, dx.offset() + s, e - s));
            return;
        }
        if (k != null && allF32(dx, dy, saved)) {
            Strided[] ins = saved == null ? new Strided[] {dy} : new Strided[] {dy, saved};
            mapFloats(dx, ins, (in, o, n) -> k.apply((float) p, (float) q, in[0], 0, saved == null ? null : in[1], 0, o, 0, n));
            return;
        }
        UnaryOp.Backward f = op.backward();
        if (saved == null) {
            map(dx, new Strided[] {dy}, (in, o, n) -> {
                double[] g = in[0];
                for (int i = 0; i < n; i++) o[i] = f.apply(g[i], 0, p, q);
            });
        } else {
            map(dx, new Strided[] {dy, saved}, (in, o, n) -> {
                double[] g = in[0], s = in[1];
                for (int i = 0; i < n; i++) o[i] = f.apply(g[i], s[i], p, q);
            });
        }
    }

    @Override
    public void binary(BinaryOp op, Strided a, Strided b, Strided out) {
        FastElementwise.Binary k = fast.binary(op);
        if (k != null && denseF32(out, a, b)) {
            float[] as = (float[]) array(a), bs = (float[]) array(b), os = (float[]) array(out);
            parallel.forRange(out.numel(), ELEMENTWISE_GRAIN,
                    (s, e) -> k.apply(as, a.offset() + s, bs, b.offset() + s, os, out.offset() + s, e - s));
            return;
        }
        if (k != null && rowBroadcast(out, a, b)) {   // x + bias: b repeats one contiguous row over out's rows
            float[] as = (float[]) array(a), bs = (float[]) array(b), os = (float[]) array(out);
            int row = out.shape()[out.rank() - 1], rows = out.numel() / Math.max(1, row);
            parallel.forRange(rows, Math.max(1, ELEMENTWISE_GRAIN / Math.max(1, row)), (s, e) -> {
                for (int r = s; r < e; r++) k.apply(as, a.offset() + r * row, bs, b.offset(), os, out.offset() + r * row, row);
            });
            return;
        }
        if (k != null && allF32(out, a, b)) {     // strided or broadcast F32 (x + scalar.expand(...))
            mapFloats(out, new Strided[] {a, b}, (in, o, n) -> k.apply(in[0], 0, in[1], 0, o, 0, n));
            return;
        }
        BinaryOp.Forward f = op.forward();
        map(out, new Strided[] {a, b}, (in, o, n) -> {
            double[] x = in[0], y = in[1];
            for (int i = 0; i < n; i++) o[i] = f.apply(x[i], y[i]);
        });
    }

    @Override
    public void binaryBackward(BinaryOp op, int input, Strided dy, Strided a, Strided b, Strided out) {
        // the hot rows on dense F32 operands: the gradient is dy, -dy or dy times the other operand
        if (denseF32(out, dy) && (op == BinaryOp.ADD || op == BinaryOp.SUB)) {
            if (op == BinaryOp.SUB && input == 1) unary(UnaryOp.NEG, 0, 0, dy, out);
            else copy(dy, out);
            return;
        }
        Strided other = input == 0 ? b : a;
        if (op == BinaryOp.MUL && other != null && denseF32(out, dy, other) && fast.binary(op) != null) {
            binary(BinaryOp.MUL, dy, other, out);
            return;
        }
        BinaryOp.Backward f = op.backward(input);
        map(out, new Strided[] {dy, a, b}, (in, o, n) -> {
            double[] g = in[0], x = in[1], y = in[2];
            for (int i = 0; i < n; i++) o[i] = f.apply(g[i], x == null ? 0 : x[i], y == null ? 0 : y[i]);
        });
    }

    /** Body of an elementwise kernel over one chunk of dense scratch: inputs (null for absent operands) to output. */
    @FunctionalInterface
    interface ChunkOp {
        void apply(double[][] in, double[] out, int n);
    }

    /**
     * Runs {@code op} over all elements of {@code out}, inputs having out's shape. Inputs are read before
     * the output chunk is written, so an input may be the output itself (in-place ops).
     */
    void map(Strided out, Strided[] inputs, ChunkOp op) {
        Layout layout = layoutOf(out, inputs);
        Object outArray = array(out);
        Object[] inArrays = new Object[inputs.length];
        for (int i = 0; i < inputs.length; i++) inArrays[i] = inputs[i] == null ? null : array(inputs[i]);
        parallel.forRange(layout.numel, ELEMENTWISE_GRAIN, (start, end) -> {
            int size = Math.min(CHUNK, end - start);
            double[][] in = new double[inputs.length][];
            for (int i = 0; i < inputs.length; i++) if (inArrays[i] != null) in[i] = new double[size];
            double[] o = new double[size];
            for (int s = start; s < end; s += size) {
                int n = Math.min(size, end - s);
                for (int i = 0; i < inputs.length; i++) if (in[i] != null) layout.read(i + 1, inArrays[i], s, n, in[i]);
                op.apply(in, o, n);
                layout.write(0, outArray, s, n, o);
            }
        });
    }

    /** The coalesced layout of the output (operand 0) and the inputs (operands 1..). */
    private static Layout layoutOf(Strided out, Strided[] inputs) {
        Strided[] views = new Strided[inputs.length + 1];
        views[0] = out;
        System.arraycopy(inputs, 0, views, 1, inputs.length);
        return Layout.of(views);
    }

    interface FloatChunkOp {
        void apply(float[][] in, float[] out, int n);
    }

    /**
     * {@link #map} for views that are all F32: chunks gathered into float scratch (no double round trip) so the
     * SIMD kernels of the dense path run on them and give the same bits (a transposed or broadcast operand went
     * element by element through the op table's double formula: 2.4 ns per element, 40 us for 16K).
     */
    void mapFloats(Strided out, Strided[] inputs, FloatChunkOp op) {
        Layout layout = layoutOf(out, inputs);
        float[] outArray = (float[]) array(out);
        float[][] inArrays = new float[inputs.length][];
        for (int i = 0; i < inputs.length; i++) inArrays[i] = (float[]) array(inputs[i]);
        parallel.forRange(layout.numel, ELEMENTWISE_GRAIN, (start, end) -> {
            int size = Math.min(CHUNK, end - start);
            float[][] in = new float[inputs.length][size];
            float[] o = new float[size];
            for (int s = start; s < end; s += size) {
                int n = Math.min(size, end - s);
                for (int i = 0; i < inputs.length; i++) layout.readFloats(i + 1, inArrays[i], s, n, in[i]);
                op.apply(in, o, n);
                layout.writeFloats(0, outArray, s, n, o);
            }
        });
    }

    /** All given views (nulls skipped) are F32, laid out in any way. */
    private static boolean allF32(Strided... views) {
        for (Strided v : views) if (v != null && v.dtype() != DType.F32) return false;
        return true;
    }

    /** Dense F32 out and a, and b one contiguous row (stride 1 in the last dim, 0 in every other): a bias. */
    private static boolean rowBroadcast(Strided out, Strided a, Strided b) {
        if (!denseF32(out, a) || b.dtype() != DType.F32 || out.rank() < 2) return false;
        int[] st = b.strides();
        if (st[st.length - 1] != 1) return false;
        for (int d = 0; d < st.length - 1; d++) if (st[d] != 0) return false;
        return true;
    }

    /** All given views (nulls skipped) are dense F32, so the SIMD kernels can take them as flat arrays. */
    private static boolean denseF32(Strided... views) {
        for (Strided v : views) if (v != null && (v.dtype() != DType.F32 || !v.isContiguous())) return false;
        return true;
    }

    // ---- reductions, linear algebra, fused ----

    @Override
    public void reduce(ReduceOp op, Strided x, Strided out) {
        reductions.reduce(op, x, out);
    }

    @Override
    public void matmul(Strided a, boolean transA, Strided b, boolean transB, Strided out, double alpha, double beta) {
        gemm.matmul(a, transA, b, transB, out, alpha, beta);
    }

    @Override
    public void softmax(Strided x, int dim, boolean log, Strided out) {
        reductions.softmax(x, dim, log, out);
    }

    @Override
    public void softmaxBackward(Strided y, Strided dy, int dim, boolean log, Strided dx) {
        reductions.softmaxBackward(y, dy, dim, log, dx);
    }

    @Override
    public void crossEntropy(Strided logits, Strided labels, Strided losses) {
        reductions.crossEntropy(logits, labels, losses);
    }

    @Override
    public void crossEntropyBackward(Strided logits, Strided labels, Strided losses, Strided dLosses, Strided dLogits) {
        reductions.crossEntropyBackward(logits, labels, losses, dLosses, dLogits);
    }

    @Override
    public void gather(Strided x, int dim, Strided index, Strided out) {
        Object xs = array(x), idx = array(index), os = array(out);
        forEachIndex(index, (i, iPos, multi) -> {
            int src = x.offset();
            for (int d = 0; d < multi.length; d++) src += (d == dim ? ((int[]) idx)[iPos] : multi[d]) * x.strides()[d];
            int dst = out.offset();
            for (int d = 0; d < multi.length; d++) dst += multi[d] * out.strides()[d];
            Chunks.set(os, dst, Chunks.get(xs, src));
        });
    }

    @Override
    public void scatterAdd(Strided src, int dim, Strided index, Strided out) {
        Object ss = array(src), idx = array(index), os = array(out);
        forEachIndex(index, (i, iPos, multi) -> {
            int from = src.offset();
            for (int d = 0; d < multi.length; d++) from += multi[d] * src.strides()[d];
            int to = out.offset();
            for (int d = 0; d < multi.length; d++) to += (d == dim ? ((int[]) idx)[iPos] : multi[d]) * out.strides()[d];
            Chunks.set(os, to, Chunks.get(os, to) + Chunks.get(ss, from));
        });
    }

    /**
     * Contiguous x and out: blocks of {@code inner} elements (everything after dim) copied whole, one per (outer
     * position, index entry); a batch of 128 Fashion-MNIST rows is 128 copies of 784 floats. Otherwise a gather.
     */
    @Override
    public void indexSelect(Strided x, int dim, Strided index, Strided out) {
        if (!x.isContiguous() || !out.isContiguous()) {
            Backend.super.indexSelect(x, dim, index, out);
            return;
        }
        int inner = 1, outer = 1;
        for (int d = dim + 1; d < x.rank(); d++) inner *= x.shape()[d];
        for (int d = 0; d < dim; d++) outer *= x.shape()[d];
        int picks = index.numel(), from = x.shape()[dim], block = inner;
        int[] idx = (int[]) array(index);
        Object xs = array(x), os = array(out);
        int total = outer * picks;
        parallel.forRange(total, Math.max(1, ELEMENTWISE_GRAIN / Math.max(1, block)), (s, e) -> {
            for (int t = s; t < e; t++) {
                int o = t / picks, i = t % picks;
                int row = idx[index.offset() + i * index.strides()[0]];
                System.arraycopy(xs, x.offset() + (o * from + row) * block, os, out.offset() + t * block, block);
            }
        });
    }

    @FunctionalInterface
    private interface IndexVisitor {
        void visit(int flat, int indexPos, int[] multi);
    }

    /** Visits every element of the index view in row-major order, sequentially (scatter-add must not race). */
    private static void forEachIndex(Strided index, IndexVisitor v) {
        int[] shape = index.shape();
        int n = index.numel();
        int[] multi = new int[shape.length];
        for (int i = 0; i < n; i++) {
            int pos = index.offset();
            for (int d = 0; d < shape.length; d++) pos += multi[d] * index.strides()[d];
            v.visit(i, pos, multi);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++multi[d] < shape[d]) break;
                multi[d] = 0;
            }
        }
    }

    @Override
    public void random(Strided out, RandomKind kind, long seed, long counter) {
        if (!out.isContiguous()) throw new IllegalArgumentException("random fills contiguous views only, got " + out);
        Object a = array(out);
        int base = out.offset();
        // a Philox draw costs about ten multiply-adds, so random fills split at a tenth-ish of the grain
        parallel.forRange(out.numel(), ELEMENTWISE_GRAIN / 8, (start, end) -> {
            Rng.Reader r = new Rng.Reader(seed);
            if (a instanceof float[] f) {
                if (kind == RandomKind.UNIFORM) uniforms.uniform32(seed, counter + start, f, base + start, end - start);
                else for (int i = start; i < end; i++) f[base + i] = (float) r.normal(counter + i);
            } else {
                double[] d = (double[]) a;
                if (kind == RandomKind.UNIFORM) for (int i = start; i < end; i++) d[base + i] = r.uniform64(counter + i);
                else for (int i = start; i < end; i++) d[base + i] = r.normal(counter + i);
            }
        });
    }

    @Override
    public void dropout(Strided x, double p, long seed, long counter, Strided out, Strided mask) {
        Object xs = array(x), os = array(out), ms = array(mask);
        int xo = x.offset(), oo = out.offset(), mo = mask.offset();
        parallel.forRange(x.numel(), ELEMENTWISE_GRAIN / 8, (start, end) -> {
            if (xs instanceof float[] xf) {
                float[] of = (float[]) os, mf = (float[]) ms;
                float pf = (float) p, scale = (float) (1 / (1 - p));   // as the OpenCL kernel, in float
                float[] u = new float[Math.min(CHUNK, end - start)];
                for (int c = start; c < end; c += u.length) {
                    int n = Math.min(u.length, end - c);
                    uniforms.uniform32(seed, counter + c, u, 0, n);
                    rowKernels.dropout(u, pf, scale, xf, xo + c, mf, mo + c, of, oo + c, n);
                }
            } else {
                Rng.Reader r = new Rng.Reader(seed);
                double[] xd = (double[]) xs, od = (double[]) os, md = (double[]) ms;
                double scale = 1 / (1 - p);
                for (int i = start; i < end; i++) {
                    double m = r.uniform64(counter + i) >= p ? scale : 0;
                    md[mo + i] = m;
                    od[oo + i] = xd[xo + i] * m;
                }
            }
        });
    }

    @Override
    public void optimizerStep(OptimizerStep step, Strided param, Strided grad, Strided[] state) {
        Object ps = array(param), gs = array(grad);
        if (ps instanceof float[] pf) {         // F32: the float form, straight on the arrays
            float[] gf = (float[]) gs;
            float[][] sf = new float[state.length][];
            int[] so = new int[state.length];
            for (int k = 0; k < state.length; k++) {
                if (state[k] != null) {
                    sf[k] = (float[]) array(state[k]);
                    so[k] = state[k].offset();
                }
            }
            parallel.forRange(param.numel(), ELEMENTWISE_GRAIN, (start, end) -> {
                int[] at = new int[so.length];
                for (int k = 0; k < so.length; k++) at[k] = so[k] + start;
                if (!fast.optimizerStep(step, end - start, pf, param.offset() + start, gf, grad.offset() + start, sf, at)) {
                    step.apply(end - start, pf, param.offset() + start, gf, grad.offset() + start, sf, at);
                }
            });
            return;
        }
        Object[] ss = new Object[state.length];
        for (int k = 0; k < state.length; k++) ss[k] = state[k] == null ? null : array(state[k]);
        // reads and writes up to 5 streams per element: a quarter of the elementwise grain per piece
        parallel.forRange(param.numel(), ELEMENTWISE_GRAIN / 4, (start, end) -> {
            double[] p = new double[CHUNK], g = new double[CHUNK];
            double[][] s = new double[ss.length][];
            for (int k = 0; k < ss.length; k++) if (ss[k] != null) s[k] = new double[CHUNK];
            for (int c = start; c < end; c += CHUNK) {
                int n = Math.min(CHUNK, end - c);
                Chunks.readDense(ps, param.offset() + c, n, p);
                Chunks.readDense(gs, grad.offset() + c, n, g);
                for (int k = 0; k < ss.length; k++) if (ss[k] != null) Chunks.readDense(ss[k], state[k].offset() + c, n, s[k]);
                step.apply(n, p, g, s);
                Chunks.writeDense(ps, param.offset() + c, n, p);
                for (int k = 0; k < ss.length; k++) if (ss[k] != null) Chunks.writeDense(ss[k], state[k].offset() + c, n, s[k]);
            }
        });
    }

    static Object array(Strided v) {
        return ((CpuBuffer) v.buffer()).array;
    }
}
